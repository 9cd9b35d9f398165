from __future__ import annotations

from pathlib import Path

import pytest

from cibridge.context import gitlog
from tests.conftest import git


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:acme/checkout.git", "https://github.com/acme/checkout"),
        (
            "https://oauth2:glpat-secret@gitlab.example.com/acme/checkout.git",
            "https://gitlab.example.com/acme/checkout",
        ),
        (
            "ssh://git@gitlab.example.com:2222/acme/checkout.git",
            "https://gitlab.example.com:2222/acme/checkout",
        ),
        ("http://git.internal/acme/checkout", "http://git.internal/acme/checkout"),
    ],
)
def test_web_url_drops_credentials_and_suffix(remote: str, url: str) -> None:
    assert gitlog.web_url(remote) == url


def test_commits_keep_messages_exactly(repo: Path) -> None:
    commits = gitlog.commits(str(repo), "HEAD~2..HEAD", "https://x/commit/")
    assert commits is not None
    assert [c.title for c in commits] == ['hostile "quote" {{ 7*7 }}', "PROJ-2 second"]
    assert commits[0].message == 'hostile "quote" {{ 7*7 }}\n::set-output name=x::y `tick`'
    assert commits[1].message == "PROJ-2 second\n\nbody line"
    assert commits[0].author.email == "mona@example.com"
    assert commits[0].url == f"https://x/commit/{commits[0].sha}"
    assert commits[0].timestamp


def test_unknown_range_is_none(repo: Path, tmp_path: Path) -> None:
    assert gitlog.commits(str(repo), "deadbeef..HEAD") is None
    assert gitlog.commits(str(tmp_path), "-1") is None
    assert git(repo, "rev-parse", "HEAD")


def test_option_spelled_range_reaches_git_as_a_revision(repo: Path) -> None:
    # Without --end-of-options, git log would take this as --output and write the file.
    target = repo / "written"
    assert gitlog.commits(str(repo), f"--output={target}") is None
    assert not target.exists()


def test_is_commit_checks_the_ref(repo: Path) -> None:
    assert gitlog.is_commit(str(repo), "HEAD~1")
    assert not gitlog.is_commit(str(repo), "deadbeef")
    assert not gitlog.is_commit(str(repo), "--output=x")
    assert not (repo / "x").exists()
