"""`cibridge gate --dispatch` against the GitHub and GitLab API stand-ins: the rollback
pipeline starts once per commit and environment, the commit status is its record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cibridge.demo.standins import (
    GITHUB_API_TOKEN,
    GITLAB_API_TOKEN,
    GITLAB_TRIGGER_TOKEN,
    GitHubApi,
    GitLabApi,
    StandIns,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
GATE = """post_deployment_validation:
  health_check_validation:
    http_checks:
      - name: health
        url: "{url}"
        expected_status: {status}
        failure_action: rollback
  rollback_policy:
    max_failures: 1
    rollback_pipeline: "rollback-{{{{ service_name }}}}"
{pipelines}"""


def _github(stand_ins: StandIns) -> GitHubApi:
    return next(s for s in stand_ins.services if isinstance(s, GitHubApi))


def _gitlab(stand_ins: StandIns) -> GitLabApi:
    return next(s for s in stand_ins.services if isinstance(s, GitLabApi))


def _config(tmp_path: Path, stand_ins: StandIns, healthy: bool = False, pipelines: str = "") -> str:
    # The stand-ins' server answers 404 to a path no service owns: the check expects 200,
    # or (a healthy service) that 404.
    status = 404 if healthy else 200
    text = GATE.format(url=f"{stand_ins.base}/x", status=status, pipelines=pipelines)
    path = tmp_path / "gate.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _outputs(path: Path) -> dict[str, str]:
    written = re.findall(r"([\w-]+)<<(\S+)\n(.*?)\n?\2\n", path.read_text(), re.S)
    return {name: value for name, _, value in written}


def _github_env(stand_ins: StandIns, tmp_path: Path, run: str) -> dict[str, str]:
    return {
        **stand_ins.env(),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/checkout",
        "GITHUB_SHA": SHA,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": run,
        "GITHUB_TOKEN": GITHUB_API_TOKEN,
        "GITHUB_OUTPUT": str(tmp_path / f"out-{run}.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary-{run}.md"),
    }


def _gitlab_env(stand_ins: StandIns, tmp_path: Path) -> dict[str, str]:
    return {
        **stand_ins.env(),
        "CI_JOB_ID": "9",
        "CI_PROJECT_DIR": str(tmp_path),
        "CI_PROJECT_ID": "42",
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_REF_NAME": "main",
        "CI_DEFAULT_BRANCH": "main",
        "GITLAB_TOKEN": GITLAB_API_TOKEN,
        "GITLAB_TRIGGER_TOKEN": GITLAB_TRIGGER_TOKEN,
        "CIBRIDGE_DOTENV": str(tmp_path / "gate.env"),
    }


def test_two_github_runs_start_the_rollback_once_and_the_second_says_where_it_went(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    argv += ["--environment", "production", "--dispatch"]
    first = cli(*argv, env=_github_env(stand_ins, tmp_path, "1"))
    assert first.code == 1, first.all  # the gate failed; the rollback is its consequence
    second = cli(*argv, env=_github_env(stand_ins, tmp_path, "2"))
    assert second.code == 1, second.all
    github = _github(stand_ins)
    (sent,) = github.dispatches
    assert sent["workflow"] == "rollback-checkout.yml" and sent["ref"] == "main"
    assert sent["inputs"] == {"environment": "production", "sha": SHA}
    (status,) = github.statuses.statuses
    runs = "https://github.com/acme/checkout/actions/workflows/rollback-checkout.yml"
    assert (status["sha"], status["context"], status["state"]) == (
        SHA,
        "cibridge/rollback/production",
        "success",
    )
    assert status["target_url"] == runs
    assert status["description"] == (
        "rollback dispatched: github:acme/checkout/rollback-checkout.yml"
    )
    assert _outputs(tmp_path / "out-1.txt")["rollback-dispatched"] == "true"
    again = _outputs(tmp_path / "out-2.txt")
    assert (again["rollback-dispatched"], again["rollback-url"]) == ("false", runs)
    said = "rollback: not dispatched again, cibridge/rollback/production on github:acme/checkout@"
    assert said in second.out and f"rollback-checkout.yml ({runs})" in second.out


def test_another_environment_of_the_same_commit_has_its_own_record(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    for environment in ("staging", "production", "staging"):
        cli(
            *argv,
            "--dispatch",
            "--environment",
            environment,
            env=_github_env(stand_ins, tmp_path, "1"),
        )
    sent = [d["inputs"]["environment"] for d in _github(stand_ins).dispatches]
    assert sent == ["staging", "production"]


def test_a_passing_gate_dispatches_nothing(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path, stand_ins, healthy=True)
    argv = ["--config", config, "gate", "--set", "service_name=checkout", "--dispatch"]
    done = cli(*argv, env=_github_env(stand_ins, tmp_path, "1"))
    assert done.code == 0, done.all
    assert not _github(stand_ins).dispatches and not _github(stand_ins).statuses.statuses
    assert _outputs(tmp_path / "out-1.txt")["rollback-dispatched"] == "false"


def test_a_refused_dispatch_records_nothing_and_is_exit_1(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # The workflow exists but does not declare these inputs: GitHub's 422.
    pipelines = "pipelines:\n  rollback-checkout:\n    github: {workflow: deploy.yml}\n"
    config = _config(tmp_path, stand_ins, pipelines=pipelines)
    argv = ["--config", config, "gate", "--set", "service_name=checkout", "--dispatch"]
    done = cli(*argv, env=_github_env(stand_ins, tmp_path, "1"))
    assert done.code == 1, done.all
    assert "GitHub refused to start acme/checkout deploy.yml on main" in done.all
    assert not _github(stand_ins).dispatches and not _github(stand_ins).statuses.statuses
    assert _outputs(tmp_path / "out-1.txt")["rollback-dispatched"] == "false"


def test_unreadable_statuses_are_an_error_and_nothing_is_dispatched(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    env = {**_github_env(stand_ins, tmp_path, "1"), "GITHUB_REPOSITORY": "acme/gone"}
    done = cli(*argv, "--dispatch", env=env)
    assert done.code == 1, done.all
    assert "GitHub refused to list the commit statuses of github:acme/gone@" in done.all
    assert not _github(stand_ins).dispatches


def test_no_token_is_a_usage_error_before_any_check_runs(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    env = {**_github_env(stand_ins, tmp_path, "1"), "GITHUB_TOKEN": ""}
    done = cli(*argv, "--dispatch", env=env)
    assert done.code == 2, done.all
    assert "statuses: write" in done.all
    assert not stand_ins.received or all("/x" not in r.path for r in stand_ins.received)


def test_dry_run_says_what_it_would_do_and_writes_nothing(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    done = cli(
        *argv,
        "--dispatch",
        "--dry-run",
        "--environment",
        "prod",
        env=_github_env(stand_ins, tmp_path, "1"),
    )
    assert done.code == 0, done.all
    assert (
        "rollback: would read commit status cibridge/rollback/prod of github:acme/checkout@"
        in done.out
    )
    assert not stand_ins.received
    assert _outputs(tmp_path / "out-1.txt")["rollback-dispatched"] == "false"


def test_a_long_environment_name_keeps_the_context_within_255_characters(
    cli, stand_ins: StandIns, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    argv = ["--config", _config(tmp_path, stand_ins), "gate", "--set", "service_name=checkout"]
    long = "review/" + "x" * 300
    for environment in (long, long + "y", long):
        done = cli(
            *argv,
            "--dispatch",
            "--environment",
            environment,
            env=_github_env(stand_ins, tmp_path, "1"),
        )
        assert done.code == 1, done.all
    contexts = [s["context"] for s in _github(stand_ins).statuses.statuses]
    assert len(contexts) == 2 and len(set(contexts)) == 2  # two names, two records, no third
    assert all(len(c) <= 255 and c.startswith("cibridge/rollback/review/xxx") for c in contexts)


def test_two_gitlab_runs_start_the_rollback_once(cli, stand_ins: StandIns, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pipelines = "pipelines:\n  rollback-checkout:\n    gitlab: {project: '42', ref: main}\n"
    config = _config(tmp_path, stand_ins, pipelines=pipelines)
    argv = ["--config", config, "gate", "--set", "service_name=checkout"]
    argv += ["--environment", "production", "--dispatch"]
    first = cli(*argv, env=_gitlab_env(stand_ins, tmp_path))
    assert first.code == 1, first.all
    dotenv = (tmp_path / "gate.env").read_text()
    url = "https://gitlab.example.com/acme/checkout/-/pipelines/5001"
    assert "rollback_dispatched=true" in dotenv and f"rollback_url={url}" in dotenv
    second = cli(*argv, env=_gitlab_env(stand_ins, tmp_path))
    assert second.code == 1, second.all
    gitlab = _gitlab(stand_ins)
    (pipeline,) = gitlab.pipelines
    assert pipeline["variables"] == {"ROLLBACK_ENVIRONMENT": "production", "ROLLBACK_SHA": SHA}
    (status,) = gitlab.statuses.statuses
    assert (status["name"], status["status"], status["target_url"], status["ref"]) == (
        "cibridge/rollback/production",
        "success",
        url,
        "main",
    )
    dotenv = (tmp_path / "gate.env").read_text()
    assert "rollback_dispatched=false" in dotenv and f"rollback_url={url}" in dotenv


@pytest.mark.parametrize("token", ["", "glpat-wrong"])
def test_gitlab_without_a_working_api_token_dispatches_nothing(
    cli, stand_ins: StandIns, tmp_path: Path, token: str
) -> None:  # type: ignore[no-untyped-def]
    pipelines = "pipelines:\n  rollback-checkout:\n    gitlab: {project: '42', ref: main}\n"
    config = _config(tmp_path, stand_ins, pipelines=pipelines)
    argv = ["--config", config, "gate", "--set", "service_name=checkout", "--dispatch"]
    done = cli(*argv, env={**_gitlab_env(stand_ins, tmp_path), "GITLAB_TOKEN": token})
    assert done.code == (2 if not token else 1), done.all
    assert not _gitlab(stand_ins).pipelines
