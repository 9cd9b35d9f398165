"""Compiled dependencies: imported only by the commands that need them, installed on demand.

A release of the GitHub action carries cibridge's pure-Python dependencies in ``bundle/``
(scripts/build_bundle.py), so its set-up step installs nothing. ``cryptography`` is
compiled per platform and Python, and only Fernet needs it (``enc:`` values, ``cibridge
secret``), so it is not in the bundle: the first command that needs it on a runner installs
it from the bundle's ``on-demand.txt`` (the lock's pins and hashes, binary wheels only) into
the cache the set-up step chose, and later steps on that runner reuse it. Installed as a
package (pip, uv, the components), cryptography is an ordinary dependency and is simply
imported.

SciPy (the gate's canary comparison, :mod:`cibridge.gate.comparison`) is compiled too, large
(~40 MB with NumPy) and needed by one kind of check only, so it is no dependency at all (the
``stats`` extra installs it). Where it is missing, bundle or not, the first comparison
installs it the same way from ``on-demand-stats.txt``, the hash-locked list shipped in this
package (regenerate it with the command in its header when the extra's range changes).
nats-py, pika and confluent-kafka (the event stream's NATS, RabbitMQ and Kafka transports,
the ``nats``, ``rabbitmq`` and ``kafka`` extras) come the same way from
``on-demand-nats.txt``, ``on-demand-rabbitmq.txt`` and ``on-demand-kafka.txt``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cibridge.core.errors import CibridgeError
from cibridge.core.private import private_folder

ON_DEMAND_FILE = "on-demand.txt"
STATS_FILE = Path(__file__).with_name("on-demand-stats.txt")
NATS_FILE = Path(__file__).with_name("on-demand-nats.txt")
RABBITMQ_FILE = Path(__file__).with_name("on-demand-rabbitmq.txt")
KAFKA_FILE = Path(__file__).with_name("on-demand-kafka.txt")
MANIFEST = "bundle.json"
INSTALL_TIMEOUT = 300.0
FERNET_NEED = "Fernet (enc: values, `cibridge secret`)"
STATS_NEED = "the canary comparison (baseline_query)"
NATS_NEED = "the event stream's nats transport"
RABBITMQ_NEED = "the event stream's rabbitmq transport"
KAFKA_NEED = "the event stream's kafka transport"


def require_fernet() -> None:
    """Make ``cryptography.fernet`` importable, installing it first in a bundle without it."""
    if _importable("cryptography.fernet"):
        return
    requirements = _on_demand_requirements()
    if requirements is None:
        raise CibridgeError(
            f"cryptography is not installed, and {FERNET_NEED} needs it",
            hint="install cibridge with its dependencies (`pip install cibridge`), "
            "or `pip install cryptography` into this environment",
        )
    _install_and_import(requirements, "cryptography.fernet", "cryptography", FERNET_NEED)


def require_stats() -> None:
    """Make ``scipy.stats`` importable, installing SciPy (and NumPy) first where it is not."""
    if _importable("scipy.stats"):
        return
    _install_and_import(STATS_FILE, "scipy.stats", "scipy", STATS_NEED)


def require_nats() -> None:
    """Make ``nats`` (nats-py) importable, installing it first where it is not."""
    if _importable("nats.js"):
        return
    _install_and_import(NATS_FILE, "nats.js", "nats-py", NATS_NEED)


def require_rabbitmq() -> None:
    """Make ``pika`` importable, installing it first where it is not."""
    if _importable("pika"):
        return
    _install_and_import(RABBITMQ_FILE, "pika", "pika", RABBITMQ_NEED)


def require_kafka() -> None:
    """Make ``confluent_kafka`` importable, installing it first where it is not."""
    if _importable("confluent_kafka"):
        return
    _install_and_import(KAFKA_FILE, "confluent_kafka", "confluent-kafka", KAFKA_NEED)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _install_and_import(requirements: Path, module: str, package: str, need: str) -> None:
    target = _install(requirements, package, need)
    if str(target) not in sys.path:
        sys.path.append(str(target))
    importlib.invalidate_caches()
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise CibridgeError(
            f"{package} was installed into {target} but cannot be imported: {error}",
            hint="delete that folder and run again; if it persists, add actions/setup-python "
            "before this step so a supported Python runs it",
        ) from None


def _on_demand_requirements() -> Path | None:
    """The bundle's list of on-demand requirements, when cibridge runs from a bundle.

    The bundle is the folder our dependencies were imported from, not any folder on the
    path that holds a manifest: the working folder can be on the path, and it is the
    workspace."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).resolve().parents[1]
    candidate = folder / ON_DEMAND_FILE
    return candidate if (folder / MANIFEST).is_file() and candidate.is_file() else None


def _install(requirements: Path, package: str, need: str) -> Path:
    data = requirements.read_bytes() + sys.version.encode() + platform.machine().encode()
    fingerprint = hashlib.sha256(data + sys.platform.encode()).hexdigest()[:16]
    # The action's set-up step vetted this folder (owned by this user, private) and passes
    # it to every step: an install location, not configuration, hence the environment.
    cache = os.environ.get("CIBRIDGE_CACHE_DIR") or tempfile.mkdtemp(prefix="cibridge-")
    target = Path(cache) / f"binary-{fingerprint}"
    # Importing from the cache runs its code with this job's secrets: where someone else
    # could have written it, this run installs into a folder of its own instead.
    problem = private_folder(Path(cache))
    if not problem and target.exists():
        problem = private_folder(target)
    if problem:
        sys.stderr.write(
            f"cibridge: warning: not reusing {package} from {cache}: {problem}; "
            "installing a private copy for this run\n"
        )
        cache = tempfile.mkdtemp(prefix="cibridge-")
        target = Path(cache) / f"binary-{fingerprint}"
    if (target / ".complete").is_file():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache))
    sys.stderr.write(
        f"cibridge: installing {package} on demand for {need} into {target}; "
        "later steps on this runner reuse it\n"
    )
    command = _installer(requirements, staging / "site")
    try:
        # From a folder of its own with configuration files ignored: the working folder is
        # the workspace, whose `pip/` or `uv.toml` must not steer the install (the
        # installers' environment variables, a runner's index mirror, still apply).
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            cwd=staging,
            env={**os.environ, "PYTHONSAFEPATH": "1", "PIP_CONFIG_FILE": os.devnull,
                 "UV_NO_CONFIG": "1"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise _install_error(package, need, str(error)) from None
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise _install_error(package, need, done.stderr.strip()[-1500:])
    (staging / "site" / ".complete").touch()
    try:
        os.rename(staging / "site", target)
    except OSError:
        if not (target / ".complete").is_file():  # not another step's finished copy: use ours
            return staging / "site"
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _installer(requirements: Path, target: Path) -> list[str]:
    uv = shutil.which("uv")
    common = ["--no-deps", "--only-binary=:all:", "--require-hashes", "-r", str(requirements)]
    common += ["--target", str(target)]
    if uv and os.environ.get("CIBRIDGE_INSTALLER") != "pip":
        return [uv, "pip", "install", "--quiet", "--python", sys.executable, *common]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-input", *common,
    ]  # fmt: skip


def _install_error(package: str, need: str, detail: str) -> CibridgeError:
    extras = {
        "scipy": "cibridge[stats]",
        "nats-py": "cibridge[nats]",
        "pika": "cibridge[rabbitmq]",
        "confluent-kafka": "cibridge[kafka]",
    }
    extra = extras.get(package, package)
    return CibridgeError(
        f"{package} (needed for {need}) could not be installed on demand: {detail}",
        hint="let the runner reach your package index (PIP_INDEX_URL / UV_INDEX_URL), or "
        f"`pip install '{extra}'` before this step",
    )
