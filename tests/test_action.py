from __future__ import annotations

import pytest

from cibridge.action import InputError, argv_from_env


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
        "CIBRIDGE_JOB_STATUS": "failure",
    }
    argv = argv_from_env(env)
    assert argv == [
        "notify",
        "--channel",
        "#a",
        "--channel",
        "#b",
        "--fail-on-error",
        "true",
        "--set",
        "service_name=api",
        "--set",
        "environment=prod",
        "--to",
        "slack",
        "--to",
        "dingtalk",
        "--to",
        "teams",
    ]
    assert env["SLACK_WEBHOOK_URL"] == "https://hooks.example/x"
    assert env["DINGTALK_SECRET"] == "from-job-env"  # an empty input does not hide the job's value
    assert env["CIBRIDGE_STATUS"] == "failure"


def test_dry_run_switch() -> None:
    assert "--dry-run" in argv_from_env(
        {"CIBRIDGE_COMMAND": "notify", "CIBRIDGE_OPT_DRY_RUN": "true"}
    )


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
