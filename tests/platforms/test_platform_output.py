"""Reporting back to the runner: escaping, redaction order and files that cannot be written."""

from __future__ import annotations

import io
from pathlib import Path

from cibridge.context.platforms.github import GitHub
from cibridge.core import redact


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


def test_unwritable_dotenv_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "GITLAB_CI": "true",
        "CIBRIDGE_DOTENV": str(tmp_path),  # a directory
        "CIBRIDGE_WEBHOOK_URL": "https://hooks.example/x",
    }
    result = cli("--dry-run", "notify", "--status", "success", "--to", "webhook", env=env)
    assert result.code == 2
    assert "dotenv report" in result.err
    assert "Traceback" not in result.all


def _commands_obeyed(output: str) -> list[str]:
    """The workflow commands a runner would obey in ``output``: a line starting "::" (leading
    blanks allowed) outside a ::stop-commands:: block."""
    obeyed, stop = [], ""
    for line in output.splitlines():
        text = line.strip()
        if stop:
            stop = "" if text == f"::{stop}::" else stop
        elif text.startswith("::stop-commands::"):
            stop = text.removeprefix("::stop-commands::")
        elif text.startswith("::"):
            obeyed.append(text)
    return obeyed


def test_printed_data_that_looks_like_a_workflow_command_is_only_shown() -> None:
    out = io.StringIO()
    github = GitHub({}, out, io.StringIO())
    forged = "v9\n::error title=x::FORGED\n  ::add-mask::main\n::stop-commands::zzz"
    github.print(f"trigger: {forged} from --event-file")
    with github.group("title\n::warning::from a summary"):
        github.print("plain line")
    shown = out.getvalue()
    assert "::error title=x::FORGED" in shown  # the text is still there, word for word
    assert _commands_obeyed(shown) == ["::group::title ::warning::from a summary", "::endgroup::"]


def test_text_inside_an_untrusted_block_is_not_wrapped_twice() -> None:
    out = io.StringIO()
    github = GitHub({}, out, io.StringIO())
    with github.untrusted():
        github.print("::set-output name=x::1")
    assert out.getvalue().count("::stop-commands::") == 1
    assert _commands_obeyed(out.getvalue()) == []
