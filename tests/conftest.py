from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cibridge.cli.main import main
from cibridge.config import variables
from cibridge.core import redact
from cibridge.demo.standins import StandIns
from cibridge.http.transport import HttpSettings, Transport

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
# The seed's YAML examples are part of the contract; a copy lives in the fixtures so the
# suite runs from any clone, and tests/config/test_loader.py checks the copy against
# ../shared when present.
SHARED_SEED = REPO.parent / "shared" / "seed"
SEED = FIXTURES / "seed"
# Published API descriptions the stand-ins check requests against (the demo has none).
SPECS = FIXTURES / "specs"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts outside any CI, in an empty directory, with nothing registered."""
    for name in list(os.environ):
        if (
            name in variables.BY_NAME
            or variables.reaches_a_service(name)
            or name.startswith((*variables.PLATFORM_PREFIXES, "CIBRIDGE_"))
            or name == "CI"
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CIBRIDGE_HTTP_RETRIES", "2")
    monkeypatch.chdir(tmp_path)
    redact.reset()
    yield
    redact.reset()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``cibridge`` in-process: ``cli("render", "x", env={...}, stdin="...")``."""

    def run(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_process(
    *argv: str,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run ``python -m cibridge`` as its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "cibridge", *argv],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def stand_ins() -> Iterator[StandIns]:
    with StandIns(specs=SPECS) as servers:
        yield servers


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Mona Lisa",
        "GIT_AUTHOR_EMAIL": "mona@example.com",
        "GIT_COMMITTER_NAME": "Mona Lisa",
        "GIT_COMMITTER_EMAIL": "mona@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with three commits, the last one hostile."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", "git@github.com:acme/checkout.git")
    for message in (
        "PROJ-1 first",
        "PROJ-2 second\n\nbody line",
        'hostile "quote" {{ 7*7 }}\n::set-output name=x::y `tick`',
    ):
        (path / "f.txt").write_text(message)
        git(path, "add", "f.txt")
        git(path, "commit", "-q", "-m", message)
    return path


@pytest.fixture
def transport() -> Iterator[Transport]:
    """One transport without retries; sleeps are skipped."""
    with Transport(HttpSettings(retries=0), sleep=lambda _: None) as client:
        yield client


@pytest.fixture(scope="module")
def _other_server() -> Iterator[HTTPServer]:
    # One per module: stopping a server waits out werkzeug's 0.5 s poll.
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def other_server(_other_server: HTTPServer) -> Iterator[HTTPServer]:
    """A second origin (another port), for redirects and proxies."""
    yield _other_server
    _other_server.clear()
