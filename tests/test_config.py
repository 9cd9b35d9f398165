from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibridge.config.loader import load
from cibridge.core.errors import CibridgeError
from tests.conftest import SEED, SHARED_SEED

SEEDS = sorted(SEED.glob("*.yml"))


def test_the_seed_has_four_examples() -> None:
    assert [p.name for p in SEEDS] == [
        "deployment-triggers.yml",
        "integration-auth.yml",
        "integration-configs.yml",
        "post-deployment-validation.yml",
    ]


def test_fixture_copy_matches_the_shared_seed() -> None:
    if SHARED_SEED.is_dir():  # beside every checkout in CI; a lone clone has only the copy
        for path in SEEDS:
            assert path.read_bytes() == (SHARED_SEED / path.name).read_bytes(), path.name


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_each_seed_example_is_valid_alone(cli, path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(path), "config", "check")
    assert result.code == 0, result.err
    assert result.out.startswith(f"ok: {path}")


def test_seed_examples_merge(cli) -> None:  # type: ignore[no-untyped-def]
    args = [a for p in SEEDS for a in ("--config", str(p))]
    result = cli(*args, "config", "check")
    assert result.code == 0, result.err
    for section in (
        "deployment_triggers",
        "integration_configs",
        "integrations",
        "post_deployment_validation",
    ):
        assert section in result.out
    config = load(SEEDS, {})
    assert (
        config.raw("integration_configs", "communication", "slack", "channels", "deployment-status")
        == "#deployments"
    )
    assert config.raw("post_deployment_validation", "metrics_validation", 1, "max_value") == 0.5


def test_later_file_overrides_earlier(tmp_path: Path) -> None:
    a = tmp_path / "a.yml"
    b = tmp_path / "b.yml"
    a.write_text("notify:\n  locale: en\n  to: [slack]\n")
    b.write_text("notify:\n  locale: zh-CN\n")
    config = load([a, b], {})
    assert config.raw("notify") == {"locale": "zh-CN", "to": ["slack"]}
    assert config.where("notify", "locale") == f"{b}:2"


def test_config_env_variable_lists_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "check", env={"CIBRIDGE_CONFIG": f"{SEEDS[0]},{SEEDS[1]}"})
    assert result.code == 0
    assert str(SEEDS[1]) in result.out


def test_default_file_is_found(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".cibridge.yml").write_text("notify:\n  locale: zh-CN\n")
    result = cli("config", "check")
    assert result.code == 0
    assert ".cibridge.yml" in result.out


def test_no_file_is_fine(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "check")
    assert result.code == 0
    assert "no configuration file found" in result.out


def _error(tmp_path: Path, text: str) -> CibridgeError:
    path = tmp_path / "c.yml"
    path.write_text(text)
    with pytest.raises(CibridgeError) as caught:
        load([path], {})
    assert caught.value.exit_code == 2
    return caught.value


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    error = _error(
        tmp_path, "integration_configs:\n  communication:\n    slack:\n      webhok_url_ref: x\n"
    )
    assert f"{tmp_path / 'c.yml'}:4" in error.message
    assert "integration_configs.communication.slack.webhok_url_ref" in error.message
    assert "did you mean 'webhook_url_ref'?" in error.hint


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = _error(tmp_path, "notfy:\n  to: [slack]\n")
    assert ":1: unknown key 'notfy'" in error.message
    assert "did you mean 'notify'" in error.hint


def test_wrong_type_names_expected_type(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  fail_on_error: sometimes\n")
    assert ":2: notify.fail_on_error must be boolean, not string" in error.message


def test_enum_violation(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  locale: fr\n")
    assert "notify.locale is 'fr', which is not one of: en, zh-CN" in error.message


def test_malformed_yaml_gives_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  to: [slack\n  locale: en\n")
    assert "not valid YAML" in error.message
    assert f"{tmp_path / 'c.yml'}:" in error.message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  locale: en\n  locale: zh-CN\n")
    assert ":3: notify.locale is given twice" in error.message


def test_missing_file(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", "nope.yml", "config", "check")
    assert result.code == 2
    assert "nope.yml does not exist" in result.err


def test_env_var_substitution_and_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "integration_configs:\n  monitoring:\n    prometheus:\n      url: ${PROM_URL}\n"
        "      tenant: ${TENANT:-team-a}\n"
    )
    config = load([path], {"PROM_URL": "http://127.0.0.1:9090"})
    assert (
        config.value("integration_configs", "monitoring", "prometheus", "url")
        == "http://127.0.0.1:9090"
    )
    assert config.value("integration_configs", "monitoring", "prometheus", "tenant") == "team-a"


def test_missing_env_var_is_an_error_only_when_used(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("integrations:\n  slack:\n    webhook_url: ${SLACK_WEBHOOK_URL}\n")
    config = load([path], {})  # loading alone is fine
    with pytest.raises(CibridgeError) as caught:
        config.secret("integrations", "slack", "webhook_url")
    assert f"{path}:3: ${{SLACK_WEBHOOK_URL}} is not set" in caught.value.message


def test_ref_secret_from_env_and_from_secrets_dir(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "dingtalk-secret").write_text("SECfromfile\n")
    env = {
        "SLACK_WEBHOOK_URL": "https://hooks.example/abc",
        "CIBRIDGE_SECRETS_DIR": str(secrets),
    }
    config = load([SEED / "integration-configs.yml"], env)
    assert (
        config.secret("integration_configs", "communication", "slack", "webhook_url")
        == "https://hooks.example/abc"
    )
    assert (
        config.secret("integration_configs", "communication", "dingtalk", "secret") == "SECfromfile"
    )
    with pytest.raises(CibridgeError) as caught:
        config.secret("integration_configs", "communication", "dingtalk", "webhook_url")
    assert "secret 'dingtalk-webhook-url' is not set" in caught.value.message
    assert "DINGTALK_WEBHOOK_URL" in caught.value.hint
    assert f"{SEED / 'integration-configs.yml'}:46" in caught.value.message


def test_enc_values_are_decrypted(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    token = "enc:" + Fernet(key.encode()).encrypt(b"SEC-decrypted").decode()
    path = tmp_path / "c.yml"
    path.write_text(f"integrations:\n  dingtalk:\n    secret: {token}\n")
    config = load([path], {"CIBRIDGE_KEY": key})
    assert config.secret("integrations", "dingtalk", "secret") == "SEC-decrypted"
    other = load([path], {"CIBRIDGE_KEY": Fernet.generate_key().decode()})
    with pytest.raises(CibridgeError) as caught:
        other.secret("integrations", "dingtalk", "secret")
    assert f"{path}:3: cannot decrypt" in caught.value.message


def test_config_show_redacts_every_secret(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T1/B1/showcanary1",
        "JIRA_CLIENT_SECRET": "showcanary2",
        "PROMETHEUS_PASSWORD": "showcanary3",
        "SLACK_VERIFICATION_TOKEN": "showcanary4",
        "DINGTALK_SECRET": "showcanary5",
    }
    args = [a for p in SEEDS for a in ("--config", str(p))]
    result = cli(*args, "config", "show", env=env)
    assert result.code == 0, result.err
    assert "showcanary" not in result.all
    assert "client_secret: '***'" in result.out
    assert "dingtalk-secret (set)" in result.out
    assert "dingtalk-webhook-url (MISSING: set DINGTALK_WEBHOOK_URL)" in result.out
    assert "client_id: ci-cd-platform" in result.out


def test_shipped_schema_is_valid_and_accepts_the_seed() -> None:
    import jsonschema
    import yaml

    from cibridge.config.schema import schema

    jsonschema.Draft202012Validator.check_schema(schema())
    validator = jsonschema.Draft202012Validator(schema())
    for path in SEEDS:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    assert list(validator.iter_errors({"notfy": {}}))


def test_config_schema_command_prints_it(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "schema")
    assert json.loads(result.out)["title"].startswith("cibridge configuration")


@pytest.mark.parametrize(
    ("value", "seconds"), [(30, 30.0), ("30s", 30.0), ("5m", 300.0), ("500ms", 0.5), ("1h", 3600.0)]
)
def test_durations(value: object, seconds: float) -> None:
    from cibridge.core.durations import parse_seconds

    assert parse_seconds(value, "x") == seconds


def test_bad_duration() -> None:
    from cibridge.core.durations import parse_seconds

    with pytest.raises(CibridgeError, match=r"f\.yml:3: .soon. is not a duration"):
        parse_seconds("soon", "f.yml:3")


def test_error_in_a_list_item_names_its_line(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "post_deployment_validation:\n  metrics_validation:\n    - name: a\n      query: up\n"
        "    - name: b\n      query: up\n      failure_action: explode\n",
    )
    assert (
        ":7: post_deployment_validation.metrics_validation[1].failure_action is 'explode', "
        "which is not one of: rollback, alert, ignore, fail" in error.message
    )


def test_every_schema_error_is_listed_in_line_order(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  locale: fr\n  fail_on_error: maybe\nnotfy: {}\n")
    path = tmp_path / "c.yml"
    lines = error.message.splitlines()
    assert lines[0] == f"{path} has 3 problems:"
    assert lines[1].startswith(f"  {path}:2: notify.locale is 'fr'")
    assert lines[2].startswith(f"  {path}:3: notify.fail_on_error must be boolean")
    assert lines[3] == f"  {path}:4: unknown key 'notfy' (did you mean 'notify'?)"


def test_wrong_type_does_not_echo_the_value(tmp_path: Path) -> None:
    error = _error(tmp_path, "integrations:\n  jira:\n    password: 918273645\n")
    assert ":3: integrations.jira.password must be string, not integer" in error.message
    assert "918273645" not in str(error)


def test_type_error_hint_says_what_is_expected(tmp_path: Path) -> None:
    error = _error(tmp_path, "integrations:\n  jira:\n    client_secret: [a]\n")
    assert error.hint == "expected: OAuth 2.0 client secret (plain, ${VAR} or enc:)"


def test_duplicate_key_with_quotes_is_still_a_duplicate(tmp_path: Path) -> None:
    error = _error(tmp_path, 'notify:\n  locale: en\n  "locale": zh-CN\n')
    assert ":3: notify.locale is given twice" in error.message


def test_keys_and_dates_stay_as_written(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "deployment_triggers:\n  jira:\n    label_trigger:\n      pipeline_mapping:\n"
        "        on: deploy-on\n        2024: deploy-year\n"
        "post_deployment_validation:\n  rollback_policy:\n    rollback_pipeline: 2024-01-31\n"
    )
    config = load([path], {})
    mapping = config.raw("deployment_triggers", "jira", "label_trigger", "pipeline_mapping")
    assert mapping == {"on": "deploy-on", "2024": "deploy-year"}
    rollback = config.raw("post_deployment_validation", "rollback_policy", "rollback_pipeline")
    assert rollback == "2024-01-31"


AGREEMENT_CASES = [
    "notify: {to: [slack], locale: en}\n",
    "notify: {to: slack}\n",
    "notify: {to: [carrier-pigeon]}\n",
    "integrations: {jira: {type: oauth2, scopes: [a, b]}}\n",
    "integrations: {jira: {type: kerberos}}\n",
    "integrations: {jira: {scopes: [1]}}\n",
    "integration_configs: {monitoring: {prometheus: {url: 'http://p:9090', enabled: true}}}\n",
    "integration_configs: {monitoring: {prometheus: {enabled: 'yes please'}}}\n",
    "post_deployment_validation: {metrics_validation: [{name: a, query: up, max_value: 1}]}\n",
    "post_deployment_validation: {metrics_validation: {name: a}}\n",
    "deployment_triggers: {jira: {label_trigger: {labels: [a], pipeline_mapping: {a: b}}}}\n",
    "deployment_triggers: {jira: {label_trigger: {pipeline_mapping: {a: [b]}}}}\n",
    "[1, 2]\n",
    "just text\n",
]


@pytest.mark.parametrize("text", AGREEMENT_CASES)
def test_runtime_and_shipped_schema_agree(tmp_path: Path, text: str) -> None:
    import jsonschema
    import yaml

    from cibridge.config.schema import schema

    path = tmp_path / "c.yml"
    path.write_text(text)
    schema_accepts = jsonschema.Draft202012Validator(schema()).is_valid(yaml.safe_load(text))
    try:
        load([path], {})
        runtime_accepts = True
    except CibridgeError as error:
        runtime_accepts = False
        assert f"{path}:" in error.message
    assert runtime_accepts == schema_accepts


def test_jsonschema_is_imported_only_to_validate_a_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    empty = tmp_path / "empty.yml"
    empty.write_text("")
    probe = (
        "import sys\nfrom cibridge.cli.main import main\n"
        "main(sys.argv[1:])\nprint('jsonschema' in sys.modules)\n"
    )

    def imports_jsonschema(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
        )
        return done.stdout.strip().splitlines()[-1]

    assert imports_jsonschema("config", "schema") == "False"
    assert imports_jsonschema("--config", str(empty), "config", "check") == "False"
    assert imports_jsonschema("--config", str(SEEDS[0]), "config", "check") == "True"
