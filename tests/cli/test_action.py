from __future__ import annotations

import pytest

from cibridge.cli.action import InputError, argv_from_env


def test_root_action_args_are_split_without_a_shell() -> None:
    env = {
        "CIBRIDGE_COMMAND": "render",
        "CIBRIDGE_ARGS": "--sample 'slack/build.yml.j2' --set 'msg=$(rm -rf /); `x`'",
    }
    assert argv_from_env(env) == [
        "render",
        "--sample",
        "slack/build.yml.j2",
        "--set",
        "msg=$(rm -rf /); `x`",
    ]


def test_notify_options_and_secret_inputs() -> None:
    env = {
        "CIBRIDGE_COMMAND": "notify",
        "CIBRIDGE_OPT_TO": "slack, dingtalk\nteams",
        "CIBRIDGE_OPT_SET": "service_name=api\nenvironment=prod",
        "CIBRIDGE_OPT_CHANNEL": "#a, #b",
        "CIBRIDGE_OPT_DRY_RUN": "false",
        "CIBRIDGE_OPT_FAIL_ON_ERROR": "true",
        "CIBRIDGE_IN_SLACK_WEBHOOK_URL": "https://hooks.example/x",
        "CIBRIDGE_IN_DINGTALK_SECRET": "",
        "DINGTALK_SECRET": "from-job-env",
    }
    argv = argv_from_env(env)
    assert argv == [
        "notify",
        "--channel=#a",
        "--channel=#b",
        "--fail-on-error=true",
        "--set=service_name=api",
        "--set=environment=prod",
        "--to=slack",
        "--to=dingtalk",
        "--to=teams",
    ]
    assert env["SLACK_WEBHOOK_URL"] == "https://hooks.example/x"
    assert env["DINGTALK_SECRET"] == "from-job-env"  # an empty input does not hide the job's value
    assert env["CIBRIDGE_GIVEN_INPUTS"] == "SLACK_WEBHOOK_URL"  # wins over the config file


def test_dry_run_switch() -> None:
    assert "--dry-run" in argv_from_env(
        {"CIBRIDGE_COMMAND": "notify", "CIBRIDGE_OPT_DRY_RUN": "true"}
    )


@pytest.mark.parametrize("value", ["true", "false"])
def test_gate_silence_and_push_metrics_inputs_are_switches(value: str) -> None:
    from cibridge.cli.main import build_parser

    env = {
        "CIBRIDGE_COMMAND": "gate",
        "CIBRIDGE_OPT_SILENCE": value,
        "CIBRIDGE_OPT_PUSH_METRICS": value,
    }
    argv = argv_from_env(env)
    assert argv == (["gate", "--push-metrics", "--silence"] if value == "true" else ["gate"])
    args = build_parser().parse_args(argv)
    assert args.silence is args.push_metrics is (value == "true")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CIBRIDGE_COMMAND": "deploy"}, "must be one of"),
        ({"CIBRIDGE_COMMAND": "render", "CIBRIDGE_ARGS": "'unclosed"}, "cannot be split"),
    ],
)
def test_bad_inputs(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        argv_from_env(env)


def test_multi_line_set_value_stays_one_value() -> None:
    env = {
        "CIBRIDGE_COMMAND": "notify",
        "CIBRIDGE_OPT_SET": "title=Fix the thing\n\nbody: it=was broken\nservice_name=api",
    }
    argv = argv_from_env(env)
    assert argv == [
        "notify",
        "--set=title=Fix the thing\n\nbody: it=was broken",
        "--set=service_name=api",
    ]


def test_attach_is_one_path_per_line_and_a_comma_belongs_to_the_path() -> None:
    from cibridge.cli.main import build_parser

    env = {"CIBRIDGE_COMMAND": "notify", "CIBRIDGE_OPT_ATTACH": "gate.json\n\nlogs/a,b.txt\n"}
    argv = argv_from_env(env)
    assert argv == ["notify", "--attach=gate.json", "--attach=logs/a,b.txt"]
    assert build_parser().parse_args(argv).attach == ["gate.json", "logs/a,b.txt"]


def test_a_key_given_twice_in_set_is_refused() -> None:
    env = {"CIBRIDGE_COMMAND": "notify", "CIBRIDGE_OPT_SET": "env=prod\nmsg=x\nenv=staging"}
    with pytest.raises(InputError, match="gives env more than once"):
        argv_from_env(env)


def test_secret_inputs_only_set_known_variables() -> None:
    with pytest.raises(InputError, match="does not name a credential"):
        argv_from_env({"CIBRIDGE_COMMAND": "notify", "CIBRIDGE_IN_PATH": "/tmp/evil"})


def test_action_accepts_exactly_the_cli_commands() -> None:
    from cibridge.cli.action import COMMANDS
    from cibridge.cli.main import build_parser

    parser = build_parser()
    [subparsers] = [a for a in parser._actions if a.dest == "command"]
    assert set(COMMANDS) == set(subparsers.choices)  # type: ignore[arg-type]


def test_notify_action_inputs_match_the_provider_table() -> None:
    import yaml

    from cibridge.notify.providers import SPECS
    from tests.conftest import REPO

    action = yaml.safe_load((REPO / "notify" / "action.yml").read_text())
    env = action["runs"]["steps"][-1]["env"]
    for spec in SPECS:
        for var in spec.credentials:
            assert var.input in action["inputs"], var.input
            assert env[f"CIBRIDGE_IN_{var.name}"] == f"${{{{ inputs.{var.input} }}}}"
    declared = {k.removeprefix("CIBRIDGE_IN_") for k in env if k.startswith("CIBRIDGE_IN_")}
    assert declared == {var.name for spec in SPECS for var in spec.credentials}


def test_jira_inputs_become_options() -> None:
    env = {
        "CIBRIDGE_COMMAND": "jira",
        "CIBRIDGE_OPT_ISSUE": "PROJ-1, proj-2\nOPS-3",
        "CIBRIDGE_OPT_COMMENT": "true",
        "CIBRIDGE_OPT_REMOTE_LINK": "false",
        "CIBRIDGE_OPT_RELEASE_VERSION": "false",
        "CIBRIDGE_OPT_STRICT": "true",
        "CIBRIDGE_OPT_FIELD": "customfield_1=a, b\nResolution=Fixed",
    }
    assert argv_from_env(env) == [
        "jira",
        "--comment",
        "--field=customfield_1=a, b",
        "--field=Resolution=Fixed",
        "--issue=PROJ-1",
        "--issue=proj-2",
        "--issue=OPS-3",
        "--no-remote-link",
        "--strict",
    ]
    named = argv_from_env({"CIBRIDGE_COMMAND": "jira", "CIBRIDGE_OPT_COMMENT": "my.md.j2"})
    assert named == ["jira", "--comment=my.md.j2"]


def test_every_action_passes_only_known_credentials() -> None:
    import yaml

    from cibridge.config.variables import INPUTS
    from tests.conftest import REPO

    for path in (REPO / "notify" / "action.yml", REPO / "jira" / "action.yml"):
        action = yaml.safe_load(path.read_text())
        env = action["runs"]["steps"][-1]["env"]
        for key, value in env.items():
            if key.startswith("CIBRIDGE_IN_"):
                name = value.removeprefix("${{ inputs.").removesuffix(" }}")
                assert INPUTS[name] == key.removeprefix("CIBRIDGE_IN_"), (path, key)


def test_an_input_error_quoting_data_cannot_issue_a_workflow_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cibridge.cli.action import run

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("CIBRIDGE_COMMAND", "notify")
    monkeypatch.setenv("CIBRIDGE_ARGS", "'unclosed\r::add-mask::x")
    monkeypatch.setenv("CIBRIDGE_IN_X\r::error::forged", "1")
    assert run() == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\r" not in out
    assert out.startswith("::error title=cibridge::CIBRIDGE_IN_X\\x0d::error::forged does not")


def test_the_gate_action_prometheus_url_input_beats_the_config_file(
    tmp_path,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    from cibridge.cli.action import run

    (tmp_path / ".cibridge.yml").write_text(
        "integration_configs:\n  monitoring:\n    prometheus:\n      url: http://file.invalid\n"
        "post_deployment_validation:\n  metrics_validation:\n"
        "    - {name: up, query: up, expected_value: 1}\n"
    )
    monkeypatch.chdir(tmp_path)
    # Recorded so they are removed again: run() sets them in os.environ.
    monkeypatch.setenv("PROMETHEUS_URL", "")
    monkeypatch.setenv("CIBRIDGE_GIVEN_INPUTS", "")
    for key, value in {
        "CIBRIDGE_COMMAND": "gate",
        "CIBRIDGE_IN_PROMETHEUS_URL": "http://127.0.0.1:9",
        "CIBRIDGE_HTTP_RETRIES": "0",
        "CIBRIDGE_ARGS": "--platform local",
    }.items():
        monkeypatch.setenv(key, value)
    assert run() == 1
    err = capsys.readouterr().err
    assert "Prometheus is unreachable (its URL is from the prometheus-url input)" in err
    assert "127.0.0.1:9" in err and "file.invalid" not in err


def test_a_value_starting_with_a_dash_stays_the_option_s_value() -> None:
    from cibridge.cli.main import build_parser

    argv = argv_from_env({"CIBRIDGE_COMMAND": "gate", "CIBRIDGE_OPT_DEPLOYED_AT": "-6m"})
    assert argv == ["gate", "--deployed-at=-6m"]
    assert build_parser().parse_args(argv).deployed_at == "-6m"


@pytest.mark.parametrize("value", ["prometheus", "datadog"])
def test_the_gate_rules_input_installs_the_rules_instead_of_judging(value: str) -> None:
    from cibridge.cli.main import build_parser

    env = {
        "CIBRIDGE_COMMAND": "gate",
        "CIBRIDGE_OPT_SET": "service_name=checkout",
        "CIBRIDGE_OPT_RULES": value,
        "CIBRIDGE_OPT_RULES_DIR": "/etc/prometheus/rules",
        "CIBRIDGE_OPT_REPORT": "cibridge-gate.json",  # the component always gives it
    }
    args = build_parser().parse_args(argv_from_env(env))
    assert (args.what, args.apply, args.format) == ("rules", True, value)
    assert args.rules_dir == "/etc/prometheus/rules" and args.set == ["service_name=checkout"]


def test_an_empty_rules_input_judges_the_deploy() -> None:
    from cibridge.cli.main import build_parser

    argv = argv_from_env({"CIBRIDGE_COMMAND": "gate", "CIBRIDGE_OPT_RULES": ""})
    assert argv == ["gate"] and build_parser().parse_args(argv).what == "run"


@pytest.mark.parametrize(
    ("command", "value"), [("gate", "grafana"), ("gate", "true"), ("notify", "datadog")]
)
def test_a_rules_input_other_than_a_format_of_the_gate_is_refused(command: str, value: str) -> None:
    env = {"CIBRIDGE_COMMAND": command, "CIBRIDGE_OPT_RULES": value}
    with pytest.raises(InputError, match="input `rules` of the gate is prometheus or datadog"):
        argv_from_env(env)
