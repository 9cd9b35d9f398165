from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from cibridge.context.platforms.github import GitHub, github_context
from cibridge.core import redact
from tests.conftest import FIXTURES, git
from tests.github_job import commands_obeyed, event_file, job_env


def test_push_event(tmp_path: Path) -> None:
    context = github_context(job_env("push", FIXTURES / "github_push.json"), str(tmp_path))
    assert context.platform == "github"
    assert context.repository_url == "https://github.com/acme/checkout"
    assert context.run_url == "https://github.com/acme/checkout/actions/runs/987"
    assert context.branch == "main" and context.tag == ""
    assert context.commits[0].title.startswith('Fix "quotes"')  # newest first
    assert context.commits[-1].title == "PROJ-1 first change"
    assert context.commits[0].author.login == "mona"
    assert context.commits[1].message == "PROJ-2 second change\n\nWith a body."
    variables = context.template_vars({"service_name": "api"})
    assert variables["short_sha"] == "a" * 8
    assert variables["service_name"] == "api"
    assert set(variables["commits"][0]) >= {
        "sha",
        "short_sha",
        "message",
        "title",
        "author",
        "url",
        "timestamp",
    }


def test_push_with_2048_commits(tmp_path: Path) -> None:
    payload = event_file(tmp_path, "github_push_2048.json.gz")
    context = github_context(job_env("push", payload), str(tmp_path))
    assert len(context.commits) == 2048
    assert any("at most 2048 commits" in note for note in context.notes)


def test_pull_request_reads_commits_from_the_checkout(repo: Path, tmp_path: Path) -> None:
    shas = git(repo, "log", "--format=%H").split()
    event = json.loads((FIXTURES / "github_pull_request.json").read_text())
    event["pull_request"]["head"]["sha"] = shas[0]
    event["pull_request"]["base"]["sha"] = shas[2]
    payload = tmp_path / "pr.json"
    payload.write_text(json.dumps(event))
    env = job_env(
        "pull_request", payload, GITHUB_HEAD_REF="feature/retries", GITHUB_REF="refs/pull/42/merge"
    )
    context = github_context(env, str(repo))
    assert context.pull_request is not None
    assert context.pull_request.number == 42
    assert context.pull_request.source_branch == "feature/retries"
    assert context.pull_request.target_branch == "main"
    assert context.branch == "feature/retries"
    assert context.sha == shas[0]
    assert [c.sha for c in context.commits] == shas[:2]
    assert context.commits[0].url == f"https://github.com/acme/checkout/commit/{shas[0]}"
    assert context.notes == []


def test_pull_request_without_history_says_so(tmp_path: Path) -> None:
    env = job_env("pull_request", FIXTURES / "github_pull_request.json")
    context = github_context(env, str(tmp_path))
    assert context.commits == []
    assert any("fetch-depth: 0" in note for note in context.notes)


@pytest.mark.parametrize(
    "event",
    ["pull_request_review", "pull_request_review_comment", "pull_request_review_thread"],
)
def test_review_events_keep_their_pull_request(event: str, tmp_path: Path) -> None:
    # The runner gives review events no GITHUB_HEAD_REF: only the payload names the branch.
    env = job_env(
        event,
        FIXTURES / "github_pull_request_review.json",
        GITHUB_REF="refs/pull/2/merge",
        GITHUB_REF_NAME="2/merge",
        GITHUB_SHA="c4295bd74fb0f4fda03689c3df3f2803b658fd85",
    )
    context = github_context(env, str(tmp_path))
    assert context.branch == "changes"
    assert context.pull_request is not None
    assert context.pull_request.number == 2
    assert context.pull_request.title == "Update the README with new information."
    assert context.pull_request.url == "https://github.com/Codertocat/Hello-World/pull/2"
    assert context.pull_request.target_branch == "master"
    assert context.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def test_pull_request_target_lists_the_pr_not_the_base_head(repo: Path) -> None:
    # pull_request_target checks out the base branch: its HEAD is no commit of the PR.
    head = git(repo, "rev-parse", "HEAD").strip()
    env = job_env(
        "pull_request_target",
        FIXTURES / "github_pull_request.json",
        GITHUB_SHA=head,
        GITHUB_HEAD_REF="feature/retries",
    )
    context = github_context(env, str(repo))
    assert context.branch == "feature/retries"
    assert context.pull_request is not None and context.pull_request.number == 42
    assert context.commits == []
    assert any("pull_request_target events carry no commit list" in n for n in context.notes)


def test_release_tag_is_version(tmp_path: Path) -> None:
    env = job_env(
        "release",
        FIXTURES / "github_release.json",
        GITHUB_REF="refs/tags/v1.4.2",
        GITHUB_REF_NAME="v1.4.2",
        GITHUB_REF_TYPE="tag",
    )
    context = github_context(env, str(tmp_path))
    assert context.tag == "v1.4.2" and context.version == "v1.4.2" and context.branch == ""


@pytest.mark.parametrize("event", ["workflow_dispatch", "schedule"])
def test_dispatch_and_schedule(event: str, repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    env = job_env(event, FIXTURES / f"github_{event}.json", GITHUB_SHA=head, GITHUB_RUN_ATTEMPT="2")
    context = github_context(env, str(repo))
    assert context.event == event
    assert context.run_url.endswith("/actions/runs/987/attempts/2")
    assert [c.sha for c in context.commits] == [head]


def test_bad_event_payload_is_a_clear_error(tmp_path: Path) -> None:
    from cibridge.core.errors import CibridgeError

    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    with pytest.raises(CibridgeError, match="not a readable JSON event payload"):
        github_context(job_env("push", bad), str(tmp_path))


def _platform(tmp_path: Path) -> tuple[GitHub, io.StringIO, Path, Path]:
    out = io.StringIO()
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    return GitHub(env, out, out), out, output, summary


def test_outputs_use_a_random_heredoc_delimiter(tmp_path: Path) -> None:
    platform, _, output, _ = _platform(tmp_path)
    platform.set_outputs({"ok": "true", "message-id": "123.456"})
    platform.set_outputs({"ok": "false"})
    text = output.read_text()
    delimiters = re.findall(r"^[\w-]+<<(ghadelimiter_[0-9a-f]{32})$", text, re.M)
    assert len(delimiters) == 3 and len(set(delimiters)) == 3
    assert "message-id<<" in text and "\n123.456\n" in text


def test_output_that_contains_a_delimiter_like_line_cannot_inject(tmp_path: Path) -> None:
    platform, _, output, _ = _platform(tmp_path)
    platform.set_outputs({"x": "EOF\nok<<EOF\ntrue\nEOF"})
    delimiter = re.search(r"x<<(\S+)", output.read_text()).group(1)  # type: ignore[union-attr]
    assert output.read_text().count(delimiter) == 2


def test_add_mask_comes_before_any_other_output(tmp_path: Path) -> None:
    platform, out, _, _ = _platform(tmp_path)
    redact.on_register(platform.mask)
    redact.register("line-one-secret\nline-two-secret")
    platform.print("using line-one-secret now")
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["::add-mask::line-one-secret", "::add-mask::line-two-secret"]
    # then its encoded forms (JSON-escaped, percent-encoded), then the output
    assert all(line.startswith("::add-mask::") for line in lines[:-1])
    assert lines[-1] == "using *** now"


def test_error_annotation_escapes_newlines(tmp_path: Path) -> None:
    platform, out, _, _ = _platform(tmp_path)
    platform.error("first line\nsecond 100%")
    assert out.getvalue() == "::error title=cibridge::first line%0Asecond 100%25\n"


def test_untrusted_text_is_fenced_by_stop_commands(tmp_path: Path) -> None:
    platform, out, _, _ = _platform(tmp_path)
    with platform.untrusted():
        platform.print("::set-output name=pwned::1")
    lines = out.getvalue().splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[1] == "::set-output name=pwned::1"
    assert lines[2] == f"::{token}::"


def test_group_and_summary(tmp_path: Path) -> None:
    platform, out, _, summary = _platform(tmp_path)
    with platform.group("Details"):
        platform.print("inside")
    platform.summary("### ok")
    assert out.getvalue().splitlines() == ["::group::Details", "inside", "::endgroup::"]
    assert summary.read_text() == "### ok\n"


def test_summary_is_capped_at_one_mebibyte(tmp_path: Path) -> None:
    platform, _, _, summary = _platform(tmp_path)
    platform.summary("x" * (2 * 1024 * 1024))
    assert summary.stat().st_size <= 1024 * 1024
    assert "truncated" in summary.read_text()[-80:]


def test_git_missing_is_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("git") is None
    context = github_context(
        job_env("workflow_dispatch", FIXTURES / "github_workflow_dispatch.json"), str(tmp_path)
    )
    assert context.commits == []


# -- payloads of the wrong shape degrade to a note naming the field ------------------------


def _context(tmp_path: Path, event: str, payload: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return github_context(job_env(event, path), str(tmp_path))


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("push", {"commits": "abc"}, "`commits` is str, not a list"),
        ("push", {"commits": [1, {"id": "a" * 40, "message": "ok"}]}, "`commits[0]` is int"),
        (
            "push",
            {"commits": [{"id": "a", "author": "mona"}]},
            "`commits[0].author` is str, not an object",
        ),
        (
            "pull_request",
            {"pull_request": {"number": "abc"}},
            "`pull_request.number` is str, not a number",
        ),
        ("pull_request", {"pull_request": "abc"}, "`pull_request` is str, not an object"),
        ("release", {"release": {"tag_name": ["v1"]}}, "`release.tag_name` is list"),
    ],
)
def test_wrong_shapes_are_notes_not_crashes(
    tmp_path: Path, event: str, payload: object, field: str
) -> None:
    context = _context(tmp_path, event, payload)
    assert any(field in note for note in context.notes), context.notes


def test_null_head_and_good_commits_survive(tmp_path: Path) -> None:
    payload = {
        "pull_request": {"number": 7, "title": "t", "head": None, "base": {"ref": "main"}},
    }
    context = _context(tmp_path, "pull_request", payload)
    assert context.pull_request is not None and context.pull_request.number == 7
    push = _context(tmp_path, "push", {"commits": [{"id": "b" * 40, "message": "PROJ-1 x"}, 5]})
    assert [c.title for c in push.commits] == ["PROJ-1 x"]


def test_deeply_nested_payload_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    context = github_context(job_env("push", path), str(tmp_path))
    assert any("nested too deeply" in note for note in context.notes)


# -- reporting back to the runner: redaction order, files, forged commands -----------------


def test_annotation_is_redacted_before_it_is_escaped() -> None:
    secret = "p%40ss\nword-123"  # escaping first would turn this into p%2540ss%0Aword-123
    redact.register(secret)
    out = io.StringIO()
    GitHub({}, out, io.StringIO()).error(f"rejected with {secret} in it")
    assert "p%40ss" not in out.getvalue() and "word-123" not in out.getvalue()
    assert "p%2540ss" not in out.getvalue()
    assert out.getvalue().startswith("::error title=cibridge::rejected with ***")


def test_unwritable_github_output_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "outputs-dir"
    target.mkdir()  # a directory cannot be appended to
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(target)}
    result = cli(
        "--dry-run",
        "notify",
        "--status",
        "success",
        "--to",
        "webhook",
        env={**env, "CIBRIDGE_WEBHOOK_URL": "https://hooks.example/x"},
    )
    assert result.code == 2
    assert "cannot write to GITHUB_OUTPUT" in result.out
    assert "Traceback" not in result.all


def test_printed_data_that_looks_like_a_workflow_command_is_only_shown() -> None:
    out = io.StringIO()
    github = GitHub({}, out, io.StringIO())
    forged = "v9\n::error title=x::FORGED\n  ::add-mask::main\n::stop-commands::zzz"
    github.print(f"trigger: {forged} from --event-file")
    with github.group("title\n::warning::from a summary"):
        github.print("plain line")
    shown = out.getvalue()
    assert "::error title=x::FORGED" in shown  # the text is still there, word for word
    assert commands_obeyed(shown) == ["::group::title ::warning::from a summary", "::endgroup::"]


def test_text_inside_an_untrusted_block_is_not_wrapped_twice() -> None:
    out = io.StringIO()
    github = GitHub({}, out, io.StringIO())
    with github.untrusted():
        github.print("::set-output name=x::1")
    assert out.getvalue().count("::stop-commands::") == 1
    assert commands_obeyed(out.getvalue()) == []


def test_a_lone_carriage_return_cannot_start_a_command_line(tmp_path: Path) -> None:
    platform, out, _, _ = _platform(tmp_path)
    platform.print("v9.9.9\r::error::x\r::add-mask::from")
    assert commands_obeyed(out.getvalue()) == []
    assert "\r" not in out.getvalue()


def test_the_older_hash_bracket_command_form_in_data_is_only_shown() -> None:
    """The runner still reads "##[error]…" anywhere in a line, on stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    platform = GitHub({}, out, err)
    forged = "record entry ##[error title=Security]blocked ##[stop-commands]abc123"
    platform.print(forged)
    platform.print_err(forged)
    platform.warning(forged)
    # Our own annotation is the one command: a line the runner reads as "::warning" is not
    # read again for "##[" (TryParseV2 first, the older form only when that fails).
    ours = "::warning title=cibridge::"
    assert [c for c in commands_obeyed(out.getvalue()) if not c.startswith(ours)] == []
    assert commands_obeyed(err.getvalue()) == []
    assert forged in out.getvalue() and forged in err.getvalue()
