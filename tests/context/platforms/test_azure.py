from __future__ import annotations

import io
from pathlib import Path

import pytest

from cibridge.context.platforms import detect
from cibridge.context.platforms.azure import AzurePipelines, azure_context, escape, inert
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from tests.azure_job import azure_env, commands, formatting, outputs, parse
from tests.conftest import git


def test_tf_build_is_azure_pipelines_and_nothing_else_is(tmp_path: Path) -> None:
    assert detect(azure_env(tmp_path)).name == "azure-pipelines"
    assert detect({"TF_BUILD": "true"}).name == "azure-pipelines"
    assert detect({"TF_BUILD": "False"}).name == "local"
    assert detect({}).name == "local"


def test_a_ci_build_of_an_azure_repos_repository(tmp_path: Path) -> None:
    context = azure_context(azure_env(tmp_path), str(tmp_path))  # not a checkout
    assert context.platform == "azure-pipelines"
    assert context.repository == "shop"
    # The organisation Azure puts in the URI as a user name is not part of the link.
    assert context.repository_url == "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/shop"
    assert context.run_url == (
        "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=4242"
    )
    assert (context.branch, context.tag, context.ref) == ("main", "", "refs/heads/main")
    assert context.event == "IndividualCI" and context.actor == "Mona Lisa"
    assert context.workflow == "shop-ci" and context.job == "Deploy"
    assert context.status == "success" and context.attempt == "1" and context.run_id == "4242"
    (commit,) = context.commits  # from the variables: there is no checkout here
    assert commit.sha == "c" * 40 and commit.title == "PROJ-1: empty carts no longer crash"
    assert commit.url == f"{context.repository_url}/commit/{'c' * 40}"
    assert context.template_vars()["attempt"] == "1"


def test_a_nested_branch_is_named_whole_and_a_tag_is_the_version(tmp_path: Path) -> None:
    # Build.SourceBranchName would say "tools".
    env = azure_env(tmp_path, BUILD_SOURCEBRANCH="refs/heads/feature/tools")
    assert azure_context(env, str(tmp_path)).branch == "feature/tools"
    tagged = azure_context(azure_env(tmp_path, BUILD_SOURCEBRANCH="refs/tags/v2.1.0"), ".")
    assert (tagged.tag, tagged.version, tagged.branch) == ("v2.1.0", "v2.1.0", "")


@pytest.mark.parametrize(
    ("word", "status"),
    [("Succeeded", "success"), ("SucceededWithIssues", "success"), ("Failed", "failure"),
     ("Canceled", "cancelled"), ("", "")],
)  # fmt: skip
def test_agent_job_status_is_read_into_the_one_vocabulary(
    tmp_path: Path, word: str, status: str
) -> None:
    assert azure_context(azure_env(tmp_path, AGENT_JOBSTATUS=word), ".").status == status


def test_a_deployment_job_names_its_environment(tmp_path: Path) -> None:
    env = azure_env(tmp_path, ENVIRONMENT_NAME="production")
    assert azure_context(env, ".").environment == "production"


def test_the_checkout_gives_the_real_author_and_message(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    context = azure_context(azure_env(tmp_path, BUILD_SOURCEVERSION=head), str(repo))
    (commit,) = context.commits
    assert commit.sha == head and "{{ 7*7 }}" in commit.message
    assert commit.author.name  # the checkout knows it; no variable does


def test_an_azure_repos_pull_request_build(repo: Path, tmp_path: Path) -> None:
    # A pull request build checks out the merge commit: parents are the target branch and
    # the pull request's head.
    shas = git(repo, "log", "--format=%H").split()
    git(repo, "checkout", "-q", "-b", "target", shas[2])
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge PR 17", shas[0])
    merge = git(repo, "rev-parse", "HEAD").strip()
    env = azure_env(
        tmp_path,
        BUILD_REASON="PullRequest",
        BUILD_SOURCEBRANCH="refs/pull/17/merge",
        BUILD_SOURCEVERSION=merge,
        SYSTEM_PULLREQUEST_PULLREQUESTID="17",
        SYSTEM_PULLREQUEST_SOURCEBRANCH="refs/heads/feature/retries",
        SYSTEM_PULLREQUEST_TARGETBRANCH="refs/heads/main",
        SYSTEM_PULLREQUEST_SOURCECOMMITID=shas[0],
    )
    context = azure_context(env, str(repo))
    pull = context.pull_request
    assert pull is not None and pull.number == 17
    assert pull.url == "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/shop/pullrequest/17"
    assert (pull.source_branch, pull.target_branch) == ("feature/retries", "main")
    assert context.branch == "feature/retries"
    assert context.sha == shas[0]  # the pull request's head, not the merge commit
    assert [c.sha for c in context.commits] == shas[:2]


def test_a_github_pull_request_build_uses_the_number_people_write(tmp_path: Path) -> None:
    env = azure_env(
        tmp_path,
        BUILD_REPOSITORY_PROVIDER="GitHub",
        BUILD_REPOSITORY_NAME="acme/shop",
        BUILD_REPOSITORY_URI="https://github.com/acme/shop.git",
        BUILD_SOURCEBRANCH="refs/pull/9/merge",
        SYSTEM_PULLREQUEST_PULLREQUESTID="1739511280",  # GitHub's internal id
        SYSTEM_PULLREQUEST_PULLREQUESTNUMBER="9",
        SYSTEM_PULLREQUEST_SOURCEBRANCH="fix",
        SYSTEM_PULLREQUEST_TARGETBRANCH="main",
    )
    context = azure_context(env, str(tmp_path))
    assert context.repository == "acme/shop"
    assert context.pull_request is not None
    assert context.pull_request.url == "https://github.com/acme/shop/pull/9"
    assert context.commits == []  # not the merge commit; the checkout has no history
    assert any("fetchDepth: 0" in note for note in context.notes)


def _platform(tmp_path: Path) -> tuple[AzurePipelines, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return AzurePipelines(azure_env(tmp_path), out, err), out, err


def test_outputs_are_output_variables_whatever_their_value(tmp_path: Path) -> None:
    platform, out, _ = _platform(tmp_path)
    tricky = 'line one\nline two; a ] and 100% and a literal %0A and "##vso[task.complete]"'
    platform.set_outputs({"message-id": "1.2", "issues": '["PROJ-1"]', "detail": tricky})
    assert outputs(out.getvalue()) == {
        "message_id": "1.2",
        "issues": '["PROJ-1"]',
        "detail": tricky,
    }
    assert len(out.getvalue().splitlines()) == 3  # one line each: nothing spilled out
    assert [c.name for c in commands(out.getvalue())] == ["task.setvariable"] * 3


def test_an_output_name_azure_cannot_hold_is_refused(tmp_path: Path) -> None:
    platform, out, _ = _platform(tmp_path)
    with pytest.raises(CibridgeError, match="Azure Pipelines variable name"):
        platform.set_outputs({"secret_thing": "x"})
    with pytest.raises(CibridgeError):
        platform.set_outputs({"a b": "x"})
    assert out.getvalue() == ""


def test_every_secret_is_registered_with_the_agent_before_anything_else(tmp_path: Path) -> None:
    platform, out, _ = _platform(tmp_path)
    redact.on_register(platform.mask)
    redact.register("s3cr3t%;value]")
    redact.register("-----BEGIN KEY-----\nline-two-of-key\n-----END KEY-----")
    platform.print("token is s3cr3t%;value] here")
    found = commands(out.getvalue())
    masked = [c.data for c in found if c.name == "task.setsecret"]
    assert "s3cr3t%;value]" in masked  # decoded by the agent to the value itself
    assert {"-----BEGIN KEY-----", "line-two-of-key", "-----END KEY-----"} <= set(masked)
    last = out.getvalue().splitlines()[-1]
    assert last == "token is *** here"
    assert all(
        line.startswith("##vso[task.setsecret]") for line in out.getvalue().splitlines()[:-1]
    )


def test_errors_and_warnings_are_issues_with_their_lines_kept(tmp_path: Path) -> None:
    platform, out, err = _platform(tmp_path)
    redact.register("hunter22")
    platform.error("Jira refused PROJ-1\n  hint: check hunter22; then retry]")
    platform.warning("50% of checks\rskipped")
    (error, warning) = commands(out.getvalue())
    assert error.name == "task.logissue" and error.properties == {"type": "error"}
    assert error.data == "Jira refused PROJ-1\n  hint: check ***; then retry]"
    assert warning.properties == {"type": "warning"}
    assert warning.data == "50% of checks\\x0dskipped"  # a lone CR is shown, never a line end
    assert len(out.getvalue().splitlines()) == 2 and err.getvalue() == ""


@pytest.mark.parametrize(
    "data",
    [
        "##vso[task.setvariable variable=deploy;]yes",
        "PROJ-1 fix ##vso[task.complete result=Failed;]",
        "  ##VSO[task.setvariable variable=x]y",
        "##[error]forged error",
        "commit ##[group]forged group",
        "a\r##vso[task.setvariable variable=x]y",
        "a\n##vso[build.addbuildtag]evil",
    ],
)
def test_data_that_looks_like_a_logging_command_is_only_shown(tmp_path: Path, data: str) -> None:
    """A commit message, a Jira summary or a server's answer printed to the log cannot set a
    variable, fail the task or forge an error line: the agent reads ##vso[ anywhere in a
    line, on both streams."""
    platform, out, err = _platform(tmp_path)
    platform.print(data)
    platform.print_err(data)
    with platform.group(data):
        pass
    assert commands(out.getvalue()) == commands(err.getvalue()) == []
    assert formatting(err.getvalue()) == []
    # Only cibridge's own group and endgroup; the data is shown, its "[" as an escape.
    opened, closed = formatting(out.getvalue())
    assert opened.startswith("##[group]") and "\\x5b" in opened and closed == "##[endgroup]"
    assert "\\x5b" in out.getvalue().split("##[group]")[0]


def test_the_group_is_one_line_and_obeyed(tmp_path: Path) -> None:
    platform, out, _ = _platform(tmp_path)
    with platform.group("Slack\nreply"):
        platform.print("inside")
    assert out.getvalue() == "##[group]Slack reply\ninside\n##[endgroup]\n"


def test_the_summary_is_a_markdown_file_uploaded_for_the_run(tmp_path: Path) -> None:
    platform, out, _ = _platform(tmp_path)
    redact.register("hunter22")
    platform.summary("### Notify\n\n| a | b |\n|---|---|\n| hunter22 | ok |")
    platform.summary("### Second")
    uploads = [c.data for c in commands(out.getvalue()) if c.name == "task.uploadsummary"]
    temp = tmp_path / "_temp"
    assert uploads == [str(temp / "cibridge.md"), str(temp / "cibridge-2.md")]
    assert "| *** | ok |" in (temp / "cibridge.md").read_text()
    assert (temp / "cibridge-2.md").read_text() == "### Second\n"
    # A later cibridge step of the same job keeps the first one's page.
    later, later_out, _ = _platform(tmp_path)
    later.summary("### Later")
    assert commands(later_out.getvalue())[0].data == str(temp / "cibridge-3.md")


def test_escaping_round_trips_through_the_agents_parser() -> None:
    for value in ["plain", "%", "%0A", "%AZP25", "a;b]c\r\nd", "%3B%5D", "]]];;;"]:
        parsed = parse(f"##vso[task.setvariable variable=x;isoutput=true]{escape(value)}")
        assert parsed is not None and parsed.data == value
        prop = parse(f"##vso[task.logissue type={escape(value)};]m")
        assert prop is not None and prop.properties["type"] == value


def test_inert_keeps_ordinary_hashes() -> None:
    assert inert("issue #12 and ## heading") == "issue #12 and ## heading"
    assert inert("##vso[x.y]") == "##vso\\x5bx.y]"


def test_without_the_agents_temp_folder_there_is_no_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in azure_env(tmp_path).items() if k != "AGENT_TEMPDIRECTORY"}
    out = io.StringIO()
    AzurePipelines(env, out, io.StringIO()).summary("### x")
    assert out.getvalue() == "" and list(tmp_path.glob("**/*.md")) == []
