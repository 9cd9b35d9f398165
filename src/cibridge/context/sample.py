"""A fixed context for previews (`render --sample`, the demo) where no CI or git is at hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cibridge.context.model import Author, Commit, Context
from cibridge.core import isotime


def build() -> Context:
    repo = "https://github.com/acme/checkout"
    commits = [
        Commit(
            sha="9fceb02d0ae598e95dc970b74767f19372d61af8",
            message='PROJ-123 Fix `price` rounding for "EUR" carts\n\nCloses PROJ-123.',
            author=Author("Mona Lisa", "mona@example.com", "mona"),
            url=f"{repo}/commit/9fceb02d0ae598e95dc970b74767f19372d61af8",
            timestamp="2026-11-27T09:12:44Z",
        ),
        Commit(
            sha="3e2b8f6c1d0a4b9e8f7a6b5c4d3e2f1a0b9c8d7e",
            message="PROJ-118 Add <script> & *bold* guard to checkout form",
            author=Author("Li Lei", "lilei@example.com", "lilei"),
            url=f"{repo}/commit/3e2b8f6c1d0a4b9e8f7a6b5c4d3e2f1a0b9c8d7e",
            timestamp="2026-11-27T08:55:02Z",
        ),
    ]
    return Context(
        platform="local",
        repository="acme/checkout",
        repository_url=repo,
        sha=commits[0].sha,
        ref="refs/heads/main",
        branch="main",
        event="push",
        actor="mona",
        run_id="4242",
        run_url=f"{repo}/actions/runs/4242",
        workflow="CI",
        job="build",
        status="success",
        environment="production",
        version="v1.4.2",
        commits=commits,
        started_at=isotime.text(datetime.now(timezone.utc) - timedelta(seconds=212)),
    )
