"""Loading the configuration (cibridge.config.loader): the seed's examples, files found and
merged, ${VAR} substitution, secrets resolved only when used, what ``config show`` prints
(every credential masked) and ``check`` finds, all from the environment mapping given at
load and never from os.environ."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cibridge.cli.main import main
from cibridge.config import encryption
from cibridge.config.loader import Config, discover, load
from cibridge.config.secrets import NotSet
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from tests.conftest import SEED, SHARED_SEED

SEEDS = sorted(SEED.glob("*.yml"))


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return load([path], env or {})


# -- the seed and the files ------------------------------------------------------------------


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


def test_missing_file(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", "nope.yml", "config", "check")
    assert result.code == 2
    assert "nope.yml does not exist" in result.err


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


def test_a_config_built_in_memory_reads_its_values() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down a configuration built in
    memory (the demo's), which has no file and no lines."""
    # The demo builds its configuration from the notify section alone: no file, no lines.
    config = Config(data={"notify": {"locale": "${LOCALE:-en}"}}, env={})
    assert config.value("notify", "locale") == "en"
    with pytest.raises(NotSet) as caught:
        Config(data={"notify": {"locale": "${LOCALE}"}}, env={}).value("notify", "locale")
    assert caught.value.message == "(no config file): ${LOCALE} is not set"


def test_config_raw_past_the_end_of_a_list_is_absent() -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that Config.raw past the end
    of a list is absent, not an error."""
    from cibridge.config.loader import Config

    config = Config(data={"to": ["slack", "dingtalk"]})
    assert config.raw("to", 1) == "dingtalk"
    assert config.raw("to", 2) is None


# -- values and secrets ----------------------------------------------------------------------


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


def test_credential_detection_by_path() -> None:
    """Found by mutation testing (mutmut 3): is_secret_path and credentials_in were not pinned
    down at their edges."""
    from cibridge.config.loader import credentials_in, is_secret_path

    assert is_secret_path(("integrations", "x", "headers", "Authorization"))
    assert not is_secret_path(("headers",))
    assert not is_secret_path(("Authorization",))
    assert not is_secret_path(("integrations", "x", "headers", "X-Scope-OrgID"))
    assert credentials_in("https://u1:pa:ss@h/x and https://u2:two@h") == [
        "u1:pa:ss",
        "pa:ss",
        "u2:two",
        "two",
    ]


# -- only the environment mapping given at load -----------------------------------------------


@pytest.fixture
def poisoned_os_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Everything a config could want, set in os.environ only (it must never be used)."""
    secrets = tmp_path / "os-secrets"
    secrets.mkdir()
    (secrets / "file-secret").write_text("FROM-OS-SECRETS-DIR")
    key = Fernet.generate_key().decode()
    poisoned = {
        "PROM_URL": "http://from-os-environ",
        "SLACK_WEBHOOK_URL": "https://hooks.example/from-os-environ",
        "CIBRIDGE_SECRETS_DIR": str(secrets),
        "CIBRIDGE_KEY": key,
        "CIBRIDGE_CONFIG": str(tmp_path / "from-os-environ.yml"),
    }
    for name, value in poisoned.items():
        monkeypatch.setenv(name, value)
    return poisoned


def _config_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "c.yml"
    path.write_text(
        "integration_configs:\n"
        "  monitoring:\n"
        "    prometheus:\n"
        "      url: ${PROM_URL}\n"
        "  communication:\n"
        "    slack:\n"
        "      webhook_url_ref: slack-webhook-url\n"
        "    dingtalk:\n"
        "      secret_ref: file-secret\n"
        "      webhook_url: " + token + "\n"
    )
    return path


def test_only_the_mapping_is_used(tmp_path: Path, poisoned_os_environ: dict[str, str]) -> None:
    os_key = poisoned_os_environ["CIBRIDGE_KEY"]
    token = encryption.encrypt("https://oapi.example/robot", {"CIBRIDGE_KEY": os_key})
    config = load([_config_file(tmp_path, token)], {"PROM_URL": "http://from-the-mapping"})

    url = config.value("integration_configs", "monitoring", "prometheus", "url")
    assert url == "http://from-the-mapping"
    with pytest.raises(NotSet, match="secret 'slack-webhook-url' is not set"):
        config.secret("integration_configs", "communication", "slack", "webhook_url")
    with pytest.raises(NotSet, match="secret 'file-secret' is not set"):
        config.secret("integration_configs", "communication", "dingtalk", "secret")
    with pytest.raises(encryption.MissingKey, match="CIBRIDGE_KEY is not set"):
        config.secret("integration_configs", "communication", "dingtalk", "webhook_url")


def test_the_mapping_supplies_everything(
    tmp_path: Path, poisoned_os_environ: dict[str, str]
) -> None:
    key = Fernet.generate_key().decode()
    secrets = tmp_path / "mapping-secrets"
    secrets.mkdir()
    (secrets / "file-secret").write_text("FROM-MAPPING-DIR\n")
    env = {
        "PROM_URL": "http://from-the-mapping",
        "SLACK_WEBHOOK_URL": "https://hooks.example/from-the-mapping",
        "CIBRIDGE_SECRETS_DIR": str(secrets),
        "CIBRIDGE_KEY": key,
    }
    token = encryption.encrypt("https://oapi.example/mapping-robot", env)
    config = load([_config_file(tmp_path, token)], env)
    communication = ("integration_configs", "communication")
    assert config.secret(*communication, "slack", "webhook_url") == env["SLACK_WEBHOOK_URL"]
    assert config.secret(*communication, "dingtalk", "secret") == "FROM-MAPPING-DIR"
    assert (
        config.secret(*communication, "dingtalk", "webhook_url")
        == "https://oapi.example/mapping-robot"
    )


def test_a_token_for_the_os_key_does_not_decrypt_with_the_mapping_key(
    poisoned_os_environ: dict[str, str],
) -> None:
    token = encryption.encrypt("v", {"CIBRIDGE_KEY": poisoned_os_environ["CIBRIDGE_KEY"]})
    other = {"CIBRIDGE_KEY": Fernet.generate_key().decode()}
    with pytest.raises(CibridgeError, match="here: cannot decrypt"):
        encryption.decrypt(token, "here", other)


def test_discover_reads_config_env_from_the_mapping(
    tmp_path: Path, poisoned_os_environ: dict[str, str]
) -> None:
    assert discover([], tmp_path, {}) == []
    listed = discover([], tmp_path, {"CIBRIDGE_CONFIG": "a.yml,b.yml"})
    assert listed == [Path("a.yml"), Path("b.yml")]
    assert discover(["x.yml"], tmp_path, {"CIBRIDGE_CONFIG": "a.yml"}) == [Path("x.yml")]
    (tmp_path / ".cibridge.yml").write_text("")
    assert discover([], tmp_path, {}) == [tmp_path / ".cibridge.yml"]


def test_cli_passes_its_env_argument_down(
    tmp_path: Path, poisoned_os_environ: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config_file(tmp_path, "plain-value")
    code = main(["--config", str(path), "config", "show"], env={"PROM_URL": "http://mapped"})
    out = capsys.readouterr().out
    assert code == 0
    assert "url: http://mapped" in out
    assert "slack-webhook-url (MISSING: set SLACK_WEBHOOK_URL)" in out
    assert "file-secret (MISSING: set FILE_SECRET)" in out


# -- show masks every credential; check finds what will fail -------------------------------


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


def _headers(**headers: str) -> str:
    lines = "".join(f'        "{name}": "{value}"\n' for name, value in headers.items())
    return "integration_configs:\n  project_management:\n    jira:\n      headers:\n" + lines


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "Proxy-Authorization",
        "X-Api-Key",
        "X-Auth-Token",
        "X-Client-Secret",
        "apikey",
        "Cookie",
        "PRIVATE-TOKEN",
        "JOB-TOKEN",
    ],
)
def test_credential_headers_are_masked(tmp_path: Path, name: str) -> None:
    shown = _load(tmp_path, _headers(**{name: "hdr-value-1234"})).show()
    assert shown["integration_configs"]["project_management"]["jira"]["headers"] == {name: "***"}


@pytest.mark.parametrize("name", ["X-Scope-OrgID", "Accept", "X-Request-Id", "X-Design-Id"])
def test_ordinary_headers_are_shown(tmp_path: Path, name: str) -> None:
    shown = _load(tmp_path, _headers(**{name: "visible"})).show()
    assert shown["integration_configs"]["project_management"]["jira"]["headers"] == {
        name: "visible"
    }


def _url_shown(tmp_path: Path, url: str, env: dict[str, str] | None = None) -> str:
    text = f"integration_configs:\n  monitoring:\n    prometheus:\n      url: '{url}'\n"
    shown: str = _load(tmp_path, text, env).show()["integration_configs"]["monitoring"][
        "prometheus"
    ]["url"]
    return shown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("api_token=t0k3n", "api_token=***"),
        ("access_token=t0k3n&page=2", "access_token=***&page=2"),
        ("sig=abc%3D&sv=2022", "sig=***&sv=2022"),
        ("key=k3y", "key=***"),
        ("password=pw", "password=***"),
        ("X-Amz-Signature=abcdef", "X-Amz-Signature=***"),
        ("api%5Ftoken=t0k3n", "api%5Ftoken=***"),
        ("q=up&step=15", "q=up&step=15"),
    ],
)
def test_credential_query_values_are_masked(tmp_path: Path, query: str, expected: str) -> None:
    assert _url_shown(tmp_path, f"https://prom.example/api?{query}") == (
        f"https://prom.example/api?{expected}"
    )


@pytest.mark.parametrize(
    "url",
    ["https://user:p4ss@prom.example/x", "https://ghp_tokenonly@prom.example/x"],
)
def test_user_info_is_masked(tmp_path: Path, url: str) -> None:
    assert _url_shown(tmp_path, url) == "https://***@prom.example/x"


def test_masking_applies_after_substitution(tmp_path: Path) -> None:
    shown = _url_shown(tmp_path, "https://${PROM_USERINFO}@prom.example/", {"PROM_USERINFO": "u:p"})
    assert shown == "https://***@prom.example/"


def test_an_enc_value_is_masked_under_any_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    token = encryption.encrypt("https://prom.internal", {"CIBRIDGE_KEY": key})
    assert _url_shown(tmp_path, token, {"CIBRIDGE_KEY": key}) == "***"


def test_show_cli_prints_no_credential(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.yml"
    path.write_text(
        _headers(Authorization="Bearer canary-hdr-1", **{"X-Scope-OrgID": "tenant-a"})
        + "      base_url: https://bot:canary-pw-2@jira.example/?api_token=canary-q-3\n"
    )
    result = cli("--config", str(path), "config", "show")
    assert result.code == 0, result.err
    assert "canary" not in result.all
    assert "X-Scope-OrgID: tenant-a" in result.out
    assert "base_url: https://***@jira.example/?api_token=***" in result.out


def test_show_reports_a_ref_outside_the_secrets_dir(tmp_path: Path) -> None:
    text = "integrations:\n  dingtalk:\n    secret_ref: ../../etc/passwd\n"
    shown = _load(tmp_path, text).show()
    assert shown["integrations"]["dingtalk"]["secret_ref"].startswith(
        "../../etc/passwd (ERROR: secret '../../etc/passwd' must be a name inside"
    )


LIST_OF_CHECKS = """\
post_deployment_validation:
  health_check_validation:
    http_checks:
      - name: api
        url: ${HEALTH_URL}
"""


def test_check_resolves_values_inside_lists(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that ``check`` resolves values
    inside lists."""
    findings = _load(tmp_path, LIST_OF_CHECKS).check()
    assert not findings.errors
    assert len(findings.warnings) == 1
    assert "c.yml:5: ${HEALTH_URL} is not set" in findings.warnings[0]


def test_show_prints_values_inside_lists(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that ``show`` prints values
    inside lists."""
    env = {"HEALTH_URL": "https://svc.example/health"}
    shown = _load(tmp_path, LIST_OF_CHECKS, env).show()
    section = shown["post_deployment_validation"]["health_check_validation"]
    assert section["http_checks"] == [{"name": "api", "url": "https://svc.example/health"}]


def _masked(value: str) -> bool:
    return redact.redact(f"before {value} after") == f"before {redact.MASK} after"


SECRET_FROM_VARIABLE = """\
integration_configs:
  project_management:
    jira:
      password: ${DB_PASSPHRASE}
"""


@pytest.mark.parametrize("command", ["check", "show"])
def test_check_and_show_register_the_secrets_they_resolve(tmp_path: Path, command: str) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that ``check`` and ``show``
    register the secrets they resolve."""
    # The variable's name says nothing about a credential: only the key makes it secret.
    config = _load(tmp_path, SECRET_FROM_VARIABLE, {"DB_PASSPHRASE": "correct-horse-9"})
    getattr(config, command)()
    assert _masked("correct-horse-9")


def test_show_tells_an_empty_secret_from_a_set_one(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that ``show`` tells an empty
    secret from a set one."""
    text = SECRET_FROM_VARIABLE.replace("${DB_PASSPHRASE}", "''") + "      token: set-token-1\n"
    jira = _load(tmp_path, text).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password": "", "token": "***"}


def test_show_prints_what_it_cannot_resolve_instead_of_failing(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that ``show`` prints a value
    it cannot resolve instead of failing."""
    text = SECRET_FROM_VARIABLE.replace("password: ${DB_PASSPHRASE}", "base_url: ${JIRA_URL}")
    jira = _load(tmp_path, text).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"base_url": "<unresolved: ${JIRA_URL} is not set>"}


BAD_KEY = "CIBRIDGE_KEY key #1 is not a valid Fernet key (32 url-safe base64-encoded bytes)"


def test_show_prints_an_enc_value_no_valid_key_can_open(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down what ``show`` prints for an
    enc: value when the key is not a valid one."""
    text = SECRET_FROM_VARIABLE.replace("${DB_PASSPHRASE}", "enc:gAAAAABfake")
    config = _load(tmp_path, text, {"CIBRIDGE_KEY": "not-a-fernet-key"})
    jira = config.show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password": f"<unresolved: {BAD_KEY}>"}


def test_show_prints_a_ref_whose_enc_value_no_valid_key_can_open(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down what ``show`` prints for a ref
    whose enc: value no valid key can open."""
    text = SECRET_FROM_VARIABLE.replace("password: ${DB_PASSPHRASE}", "password_ref: jira-pw")
    env = {"CIBRIDGE_KEY": "not-a-fernet-key", "JIRA_PW": "enc:gAAAAABfake"}
    jira = _load(tmp_path, text, env).show()["integration_configs"]["project_management"]["jira"]
    assert jira == {"password_ref": f"jira-pw (ERROR: {BAD_KEY})"}


def test_discover_treats_an_explicit_missing_default_name_as_no_config(tmp_path: Path) -> None:
    # The action's README example passes `config: .cibridge.yml  # optional`.
    assert discover([".cibridge.yml"], tmp_path, {}) == []
    (tmp_path / ".cibridge.yml").write_text("{}\n")
    assert discover([".cibridge.yml"], tmp_path, {}) == [Path(".cibridge.yml")]


def test_the_action_config_input_naming_a_missing_default_file_means_no_config(
    tmp_path: Path,
) -> None:
    # The actions pass their `config` input as CIBRIDGE_CONFIG, not as --config.
    assert discover([], tmp_path, {"CIBRIDGE_CONFIG": ".cibridge.yml"}) == []
    assert discover([], tmp_path, {"CIBRIDGE_CONFIG": "ci/other.yml"}) == [Path("ci/other.yml")]
    (tmp_path / ".cibridge.yml").write_text("{}\n")
    assert discover([], tmp_path, {"CIBRIDGE_CONFIG": ".cibridge.yml"}) == [Path(".cibridge.yml")]


def test_discover_keeps_any_other_explicit_missing_path_so_loading_names_it(
    tmp_path: Path,
) -> None:
    assert discover(["missing.yml"], tmp_path, {}) == [Path("missing.yml")]
    with pytest.raises(CibridgeError) as caught:
        load([tmp_path / "missing.yml"], {})
    assert "missing.yml" in str(caught.value)
    assert caught.value.exit_code == 2


def test_no_config_file_reads_no_yaml_and_no_schema() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from cibridge.config import loader; "
        "c = loader.load(loader.discover([], Path('/nonexistent'), {}), {}); "
        "assert c.value('notify', 'templates_dir') is None; "
        "print(sorted(m for m in ('yaml', 'jsonschema', 'cibridge.config.schema', "
        "'cibridge.config.on_demand', 'cryptography') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
