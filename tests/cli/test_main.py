from __future__ import annotations

from cibridge import __version__
from tests.conftest import run_process


def test_version_from_console_and_module() -> None:
    result = run_process("--version")
    assert result.code == 0
    assert result.out.strip() == f"cibridge {__version__}"


def test_usage_error_exits_2_without_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("render", "does/not/exist.yml.j2")
    assert result.code == 2
    assert "not found" in result.err
    assert "Traceback" not in result.all


def test_unknown_command_is_exit_2() -> None:
    result = run_process("frobnicate")
    assert result.code == 2
    assert "invalid choice" in result.err


def test_verbose_shows_traceback_for_foreseeable_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("-v", "render", "missing.j2")
    assert result.code == 2
    assert "Traceback" in result.err


def test_internal_error_is_reported_redacted(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cibridge.cli.commands import render_cmd

    def boom(runtime):  # type: ignore[no-untyped-def]
        token = runtime.secret_from_env("SLACK_BOT_TOKEN")
        raise RuntimeError(f"bot token {token} broke")

    monkeypatch.setattr(render_cmd, "run", boom)
    import cibridge.cli.main as cli_module

    parser = cli_module.build_parser()
    assert parser  # the handler is bound at parse time, so patch through set_defaults
    monkeypatch.setattr(
        cli_module, "build_parser", lambda *_only: _with_handler(parser, "render", boom)
    )
    result = cli("render", "x", env={"SLACK_BOT_TOKEN": "xoxb-supersecretvalue"})
    assert result.code == 3  # a bug, never confused with a rejection (1) or usage (2)
    assert "internal error: RuntimeError" in result.err
    assert "this is a bug in cibridge" in result.err
    assert "supersecretvalue" not in result.all


def _with_handler(parser, name, handler):  # type: ignore[no-untyped-def]
    for action in parser._subparsers._group_actions:
        action.choices[name].set_defaults(handler=handler)
    return parser


def test_working_directory_must_exist(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("-C", "/nonexistent/dir", "config", "check")
    assert result.code == 2
    assert "/nonexistent/dir does not exist" in result.err


def test_console_scripts_are_installed() -> None:
    import subprocess
    import sys
    from pathlib import Path

    scripts = Path(sys.executable).parent
    done = subprocess.run(
        [str(scripts / "cibridge"), "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("cibridge ")
    step = subprocess.run(
        [str(scripts / "cibridge-step")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "CIBRIDGE_COMMAND": "nope"},
    )
    assert step.returncode == 2
    assert "input `command` must be one of" in step.stdout


def test_bad_set_value(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("render", "--sample", "slack/build.yml.j2", "--set", "novalue")
    assert result.code == 2
    assert "--set 'novalue' is not KEY=VALUE" in result.err


def test_global_options_are_accepted_after_the_command(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "check", "--config", "nope.yml", "--verbose")
    assert result.code == 2
    assert "nope.yml does not exist" in result.err
    assert "Traceback" in result.err  # --verbose after the command took effect


def test_global_option_after_the_command_wins_and_absent_ones_do_not_reset() -> None:
    from cibridge.cli.main import build_parser

    parser = build_parser()
    later = parser.parse_args(["--config", "a.yml", "config", "check", "--config", "b.yml"])
    assert later.config == ["b.yml"]
    kept = parser.parse_args(["--config", "a.yml", "--json", "-v", "config", "check"])
    assert kept.config == ["a.yml"]
    assert kept.json and kept.verbose


def test_one_command_builds_only_its_own_parser() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from cibridge.cli.main import parse_args; "
        "parse_args(['--dry-run', 'notify', '--to', 'slack', '--status', 'success']); "
        "print(sorted(m for m in sys.modules if m.startswith('cibridge.cli.commands.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['cibridge.cli.commands.notify_cmd']"
    version = (
        "import sys, contextlib; from cibridge.cli.main import parse_args\n"
        "with contextlib.suppress(SystemExit): parse_args(['--version'])\n"
        "print([m for m in sys.modules if m.startswith('cibridge.cli.commands.')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", version], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [f"cibridge {__version__}", "[]"]


def test_a_command_parsed_alone_parses_as_with_every_command() -> None:
    from cibridge.cli.commands import NAMES
    from cibridge.cli.main import build_parser, parse_args

    whole = build_parser()
    for argv in (
        ["-v", "notify", "--to", "slack", "--status", "success", "--config", "b.yml"],
        ["--config", "a.yml", "config", "check", "--json"],
        ["-C", "notify", "verify", "--signature", "sha256=00", "--secret-env", "X"],
        ["jira", "--issue", "PROJ-1", "--dry-run"],
    ):
        alone = vars(parse_args(argv))
        assert alone.keys() == vars(whole.parse_args(argv)).keys()
        assert {k: v for k, v in alone.items() if k != "handler"} == {
            k: v for k, v in vars(whole.parse_args(argv)).items() if k != "handler"
        }
    for name in NAMES:  # each command's help, built alone, is the whole parser's
        assert _help(build_parser(name), name) == _help(whole, name)


def _help(parser, name):  # type: ignore[no-untyped-def]
    for action in parser._subparsers._group_actions:
        return action.choices[name].format_help()
