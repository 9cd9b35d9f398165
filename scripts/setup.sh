#!/usr/bin/env bash
# Prepares the Python environment a cibridge action step runs in, and prints its path.
#
# Only third-party dependencies go into a virtual environment, keyed on a hash of
# requirements.lock, the interpreter and the platform: a warm runner reuses it, and the
# cibridge code itself always runs from this checkout of the action (PYTHONPATH=src), so
# it matches the action ref without reinstalling anything.
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
lock="$root/requirements.lock"
# One interpreter start checks the version and fingerprints lock + interpreter + platform.
if ! fingerprint="$("$python" -c 'import hashlib, platform, sys
if sys.version_info < (3, 10):
    sys.exit(f"::error title=cibridge::cibridge needs Python 3.10 or newer ({platform.python_version()} found); add actions/setup-python")
data = open(sys.argv[1], "rb").read() + sys.version.encode() + platform.machine().encode() + sys.platform.encode()
print(hashlib.sha256(data).hexdigest()[:16])' "$lock")"; then
  exit 2
fi
cache_root="${CIBRIDGE_CACHE_DIR:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/cibridge}"
venv="$cache_root/venv-$fingerprint"

venv_python() {
  if [ -x "$1/bin/python" ]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi
}

state=warm
if [ ! -f "$venv/.complete" ]; then
  state=cold
  mkdir -p "$cache_root"
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
  # Another job on the same runner may have finished first: keep whichever landed.
  mv -T "$staging/venv" "$venv" 2>/dev/null || true
  rm -rf "$staging"
fi

interpreter="$(venv_python "$venv")"
echo "cibridge: Python environment $state ($venv)" >&2
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "python=$interpreter"
    echo "src=$root/src"
    echo "cache=$cache_root"
  } >>"$GITHUB_OUTPUT"
else
  echo "$interpreter"
fi
