#!/usr/bin/env bash
# Prepares the Python environment a cibridge action step runs in, and prints its path.
#
# A release ref carries bundle/ (scripts/build_bundle.py: the pure-Python dependencies of
# requirements.lock, hash-checked), like a JavaScript action's dist/: then nothing is
# installed, the runner's Python runs src/ and bundle/ as they are, and cryptography, the one
# compiled dependency, is installed on demand by the commands that need it
# (cibridge.config.on_demand). Set CIBRIDGE_NO_BUNDLE=1 to use the venv below instead.
#
# Without a bundle (main, a branch, a SHA), only third-party dependencies go into a
# virtual environment, keyed on a hash of
# requirements.lock, the interpreter and the platform: a warm runner reuses it, and the
# cibridge code itself always runs from this checkout of the action (PYTHONPATH=src), so
# it matches the action ref without reinstalling anything.
#
# The cache root is shared by every job on a self-hosted runner. A venv someone else could
# have written to would run their code with this job's secrets, so it is reused only from a
# root this user owns that nobody else can write to; otherwise this run builds its own.
#
# Runs with bash 3.2 and the BSD tools of macOS as well as with GNU: no `mv -T`, `stat -c`,
# `readlink -f` or template-less `mktemp`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${CIBRIDGE_PYTHON_BIN:-}"
if [ -z "$python" ]; then
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
if [ -z "$python" ] || ! command -v "$python" >/dev/null 2>&1; then
  echo "::error title=cibridge::no Python interpreter (${python:-python3}) on this runner; add actions/setup-python before this step" >&2
  exit 2
fi
# The step runs in the workspace, which may hold a pull request's files: a `hashlib.py` there
# would run in `python -c`, a `uv.toml` or `pyproject.toml` would redirect uv's index. So
# everything below runs in an empty folder of its own, Python without the working folder on
# its path (3.11+), and the installers ignore configuration files (their environment
# variables, such as a runner's PIP_INDEX_URL or UV_INDEX_URL, still apply).
neutral="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cibridge-setup.XXXXXX")"
trap 'rm -rf "$neutral"' EXIT
lock="$root/requirements.lock"
cache_root="${CIBRIDGE_CACHE_DIR:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/cibridge}"
case "$python" in /* | [A-Za-z]:*) ;; */*) python="$PWD/$python" ;; esac
case "$cache_root" in /* | [A-Za-z]:*) ;; *) cache_root="$PWD/$cache_root" ;; esac
cd "$neutral"
export PYTHONSAFEPATH=1 PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1

# The warm path starts Python once: it checks the version, fingerprints lock + interpreter +
# platform, and says whether the cache root (created 0700 if missing) and the venv in it can
# be trusted. Output: "<fingerprint> <path separator> ok" or "... <why not>".
if ! probe="$("$python" -c 'import hashlib, os, platform, sys
if sys.version_info < (3, 10):
    sys.exit(f"::error title=cibridge::cibridge needs Python 3.10 or newer ({platform.python_version()} found); add actions/setup-python")
data = open(sys.argv[1], "rb").read() + sys.version.encode() + platform.machine().encode() + sys.platform.encode()
fingerprint = hashlib.sha256(data).hexdigest()[:16]

def why_not(root):
    if not hasattr(os, "getuid"):
        return "file ownership cannot be checked on this platform"
    try:
        os.makedirs(root, 0o700, exist_ok=True)
        for path in (root, os.path.join(root, "venv-" + fingerprint)):
            if path != root and not os.path.lexists(path):
                continue
            if os.path.islink(path):
                return f"{path} is a symbolic link (whoever owns it can point it elsewhere later)"
            info = os.lstat(path)
            if info.st_uid != os.getuid():
                return f"{path} is owned by uid {info.st_uid}, not {os.getuid()}"
            if info.st_mode & 0o022:
                return f"{path} is writable by group or others (mode {info.st_mode & 0o7777:o})"
    except OSError as error:
        return f"{root} cannot be used ({error.strerror})"
    return "ok"

reason = why_not(sys.argv[2])
print(fingerprint, os.pathsep, reason.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))' "$lock" "$cache_root")"; then
  exit 2
fi
fingerprint="${probe%% *}"
rest="${probe#* }"
path_separator="${rest%% *}"
problem="${rest#* }"

if [ "$problem" != ok ]; then
  message="not reusing the cached Python environment under $cache_root: $problem; building a private one for this run"
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    echo "::warning title=cibridge::$message" >&2
  else
    echo "cibridge: warning: $message" >&2
  fi
  cache_root="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cibridge.XXXXXX")"
fi
venv="$cache_root/venv-$fingerprint"
bundle="$root/bundle"

emit() { # interpreter, import path
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      echo "python=$1"
      echo "src=$2"
      echo "cache=$cache_root"
    } >>"$GITHUB_OUTPUT"
  else
    echo "$1"
  fi
}

if [ -f "$bundle/bundle.json" ] && [ "${CIBRIDGE_NO_BUNDLE:-}" != 1 ]; then
  echo "cibridge: Python environment bundled ($bundle), nothing to install" >&2
  emit "$(command -v "$python")" "$root/src$path_separator$bundle"
  exit 0
fi

venv_python() {
  if [ -x "$1/bin/python" ]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi
}

state=warm
if [ ! -f "$venv/.complete" ]; then
  state=cold
  staging="$(mktemp -d "$cache_root/.staging-XXXXXX")"
  if [ "${CIBRIDGE_INSTALLER:-}" != pip ] && command -v uv >/dev/null 2>&1; then
    uv venv --quiet --python "$python" "$staging/venv"
    uv pip install --quiet --python "$(venv_python "$staging/venv")" --no-deps --require-hashes -r "$lock"
  else
    "$python" -m venv --without-pip "$staging/venv"
    "$python" -m pip --python "$(venv_python "$staging/venv")" install --quiet \
      --disable-pip-version-check --no-input --no-deps --only-binary=:all: --require-hashes -r "$lock"
  fi
  touch "$staging/venv/.complete"
  # rename(2) never moves a directory into an existing one (what `mv` does without GNU's
  # -T), so when another job on this runner finished first, its venv is kept and this
  # one is dropped.
  if "$python" -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$staging/venv" "$venv" 2>/dev/null \
    || [ -f "$venv/.complete" ]; then
    rm -rf "$staging"
  else
    venv="$staging/venv" # an unfinished leftover holds the name: use this run's own copy
  fi
fi

interpreter="$(venv_python "$venv")"
echo "cibridge: Python environment $state ($venv)" >&2
emit "$interpreter" "$root/src"
