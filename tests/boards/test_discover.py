"""Which work items a run ships: the pull or merge request's title, description and branch,
the commits, and ids named on purpose."""

from __future__ import annotations

import pytest

from cibridge.boards import discover
from cibridge.boards.service import NAMED
from cibridge.context.model import Commit, Context, PullRequest
from cibridge.core.errors import CibridgeError


def test_a_pull_requests_title_description_branch_and_commits() -> None:
    context = Context(
        "github",
        branch="ignored-on-a-pr",
        pull_request=PullRequest(7, "Checkout AB#1", "u", "feature/AB#2-login", "main",
                                 body="Fixes AB#3\n\nsee #4 and ab#5"),
        commits=[Commit("a" * 40, "AB#1 again, fixed AB#6")],
    )  # fmt: skip
    found = discover.from_texts(discover.texts(context), {})
    assert sorted(found) == [1, 2, 3, 6]
    assert found[3].fixed and found[6].fixed and not found[1].fixed
    assert found[1].sources == ["pull request title", "commit aaaaaaaa"]
    assert found[3].sources == ["pull request description"]


def test_a_push_reads_the_branch_and_the_commits() -> None:
    context = Context("gitlab", branch="AB#9-fix", commits=[Commit("b" * 40, "no ref")])
    assert list(discover.from_texts(discover.texts(context), {})) == [9]


def test_named_ids() -> None:
    found = discover.named(["1, AB#2", "3"])
    assert list(found) == [1, 2, 3] and all(f.sources == [NAMED] for f in found.values())
    with pytest.raises(CibridgeError, match="is not a work item id"):
        discover.named(["PROJ-1"])


def test_the_cap_refuses_the_whole_run_and_names_the_first_five() -> None:
    discover.check_cap(range(100), 100)
    with pytest.raises(CibridgeError) as error:
        discover.check_cap(range(1, 131), 100)
    assert "found 130 work items, more than --max-items 100: nothing was changed" in str(
        error.value
    )
    assert "(AB#1, AB#2, AB#3, AB#4, AB#5 … and 125 more)" in str(error.value)
    assert error.value.exit_code == 1
