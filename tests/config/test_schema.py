"""Reading a config file (cibridge.config.schema): YAML parsed within size, node and depth
budgets, keys checked, the JSON Schema applied; every problem is exit 2 naming the file and
line, never a hang or a traceback. The shipped schema and the runtime checks agree."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml

from cibridge.config import schema as config_schema
from cibridge.config.loader import load
from cibridge.config.schema import MAX_CONFIG_BYTES, MAX_DEPTH, MAX_NODES
from cibridge.core.errors import CibridgeError
from tests.conftest import SEED

SEEDS = sorted(SEED.glob("*.yml"))


def _refused(path: Path) -> CibridgeError:
    with pytest.raises(CibridgeError) as caught:
        load([path], {})
    assert caught.value.exit_code == 2
    assert caught.value.hint
    return caught.value


def _write(tmp_path: Path, text: str, name: str = "c.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- hostile or broken files: budgets, encodings, YAML ---------------------------------------


def _billion_laughs(levels: int = 9, width: int = 10) -> str:
    """The issue's shape: each level is a list of ``width`` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def _limit_memory() -> None:
    # 1 GiB of address space: the unbounded walk needed 1.8 GB at 7 levels.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_alias_bomb_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    bomb = _write(tmp_path, _billion_laughs())
    assert bomb.stat().st_size < 700
    done = subprocess.run(
        [sys.executable, "-m", "cibridge", "--config", str(bomb), "config", "check"],
        capture_output=True,
        text=True,
        timeout=10,
        env={key: value for key, value in os.environ.items() if not key.startswith("CIBRIDGE")},
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{bomb}: the YAML aliases expand to too many nodes" in done.stderr
    assert "Traceback" not in done.stderr


def test_alias_bomb_in_process_names_the_budget(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, _billion_laughs()))
    assert f"more than {MAX_NODES:,}" in error.message


def test_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for level in range(1, 9):
        merged = ", ".join([f"*m{level - 1}"] * 10)
        lines.append(f"m{level}: &m{level} {{<<: [{merged}], c{level}: 1}}")
    error = _refused(_write(tmp_path, "\n".join(lines) + "\n"))
    assert "expand to too many nodes" in error.message


def test_just_under_the_budget_is_not_refused_for_size(tmp_path: Path) -> None:
    # 4 levels of 10 are ~11,000 nodes: refused by the schema (unknown keys), not the budget.
    error = _refused(_write(tmp_path, _billion_laughs(levels=4)))
    assert "unknown key 'a0'" in error.message
    assert "too many nodes" not in error.message


def _nodes(total: int) -> str:
    """``x: [...]`` whose tree, aliases expanded, has exactly ``total`` nodes (the mapping,
    its key and the list count too). Anchors of 11, 111, 1111 and 11111 nodes keep it short."""
    items: list[str] = []
    remaining = total - 3
    sizes = [1]
    for level in range(1, 5):
        inner = "0" if level == 1 else f"*a{level - 1}"
        items.append(f"&a{level} [{', '.join([inner] * 10)}]")
        sizes.append(1 + 10 * sizes[-1])
        remaining -= sizes[-1]
    for level in range(4, -1, -1):
        count, remaining = divmod(remaining, sizes[level])
        items += ["0" if level == 0 else f"*a{level}"] * count
    assert remaining == 0
    return f"x: [{', '.join(items)}]\n"


def test_exactly_the_node_budget_is_accepted(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): the node budget was not pinned exactly: a file of
    exactly MAX_NODES nodes gets past it."""
    error = _refused(_write(tmp_path, _nodes(MAX_NODES)))
    assert "unknown key 'x'" in error.message  # past the budget, stopped by the schema


def test_one_node_over_the_budget_is_refused(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): the node budget was not pinned exactly: one node
    more is refused."""
    error = _refused(_write(tmp_path, _nodes(MAX_NODES + 1)))
    assert f"expand to too many nodes (more than {MAX_NODES:,}" in error.message


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  to: &x [slack, *x]\n"))
    assert f"{tmp_path / 'c.yml'}:2: an alias refers to a node that contains it" in error.message


def test_nesting_is_capped(tmp_path: Path) -> None:
    deep = "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    error = _refused(_write(tmp_path, deep))
    assert f"nests deeper than {MAX_DEPTH} levels" in error.message


def _nested(levels: int) -> str:
    # The top mapping is one level, each list one more: the innermost [] counts as one.
    lists = levels - 1
    return "x: " + "[" * lists + "]" * lists + "\n"


def test_exactly_the_depth_budget_is_accepted(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): the depth budget was not pinned exactly: exactly
    MAX_DEPTH levels get past it."""
    error = _refused(_write(tmp_path, _nested(MAX_DEPTH)))
    assert "unknown key 'x'" in error.message


def test_one_level_over_the_depth_budget_is_refused(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): the depth budget was not pinned exactly: one level
    more is refused."""
    error = _refused(_write(tmp_path, _nested(MAX_DEPTH + 1)))
    assert f"nests deeper than {MAX_DEPTH} levels" in error.message


def test_without_libyaml_deep_nesting_is_refused_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down the refusal when PyYAML
    composes recursively (no libyaml) and the stack runs out."""
    # PyYAML built without libyaml composes recursively: 1,000 levels exhaust the stack.
    monkeypatch.setattr(config_schema, "yaml_loader", lambda: yaml.SafeLoader)
    error = _refused(_write(tmp_path, "x: " + "[" * 1000 + "]" * 1000 + "\n"))
    assert error.message == f"{tmp_path / 'c.yml'}: the configuration nests too deeply"
    assert error.hint == "flatten the structure"


def test_ordinary_merge_keys_work_with_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "integration_configs:\n"
        "  communication:\n"
        "    slack: &chat\n"
        "      enabled: true\n"
        "      webhook_url_ref: shared-hook\n"
        "    dingtalk:\n"
        "      <<: *chat\n"
        "      enabled: false\n"
        "      secret_ref: ding-secret\n",
    )
    config = load([path], {})
    chat = ("integration_configs", "communication")
    assert config.raw(*chat, "dingtalk") == {
        "enabled": False,
        "webhook_url_ref": "shared-hook",
        "secret_ref": "ding-secret",
    }
    assert config.raw(*chat, "slack", "enabled") is True
    assert config.where(*chat, "dingtalk", "enabled") == f"{path}:8"
    assert config.where(*chat, "dingtalk", "webhook_url_ref") == f"{path}:5"


def test_unknown_key_behind_a_merge_names_the_anchor_line(tmp_path: Path) -> None:
    error = _refused(
        _write(
            tmp_path,
            "integration_configs:\n"
            "  communication:\n"
            "    slack: &chat\n"
            "      enabled: true\n"
            "      channle: '#x'\n"
            "    dingtalk:\n"
            "      <<: *chat\n",
        )
    )
    assert ":5: unknown key 'integration_configs.communication.slack.channle'" in error.message
    assert ":5: unknown key 'integration_configs.communication.dingtalk.channle'" in error.message


def test_a_key_given_twice_after_an_alias_is_refused(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that keys are still checked
    for duplicates after an alias."""
    text = """\
integrations:
  slack: &chat {channel: "#ci"}
  feishu: *chat
  teams:
    channel: a
    channel: b
"""
    error = _refused(_write(tmp_path, text))
    assert error.message == f"{tmp_path / 'c.yml'}:6: integrations.teams.channel is given twice"


def test_a_key_given_twice_after_a_merge_key_is_refused(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that keys are still checked
    for duplicates after a merge key."""
    text = """\
integrations:
  slack: &chat {channel: "#ci"}
  teams:
    <<: *chat
    channel: a
    channel: b
"""
    error = _refused(_write(tmp_path, text))
    assert error.message == f"{tmp_path / 'c.yml'}:6: integrations.teams.channel is given twice"


def test_a_later_file_does_not_change_an_alias_elsewhere(tmp_path: Path) -> None:
    first = _write(
        tmp_path,
        "integration_configs:\n  communication:\n"
        "    slack: &chat {enabled: true}\n    dingtalk: *chat\n",
        "a.yml",
    )
    second = _write(
        tmp_path, "integration_configs:\n  communication:\n    slack: {enabled: false}\n", "b.yml"
    )
    config = load([first, second], {})
    assert config.raw("integration_configs", "communication", "slack", "enabled") is False
    assert config.raw("integration_configs", "communication", "dingtalk", "enabled") is True


def test_size_limit_boundary(tmp_path: Path) -> None:
    exactly = tmp_path / "exact.yml"
    exactly.write_bytes(b"#" + b"x" * (MAX_CONFIG_BYTES - 2) + b"\n")
    assert exactly.stat().st_size == MAX_CONFIG_BYTES
    assert load([exactly], {}).files == [str(exactly)]
    over = tmp_path / "over.yml"
    over.write_bytes(b"#" + b"x" * (MAX_CONFIG_BYTES - 1) + b"\n")
    error = _refused(over)
    assert f"configuration file {over} is larger than 1 MiB" in error.message


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that the size limit is checked
    without reading the whole file."""
    path = tmp_path / "c.yml"
    with path.open("wb") as handle:
        handle.truncate(64 * MAX_CONFIG_BYTES)  # sparse: no disk used
    tracemalloc.start()
    try:
        error = _refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "is larger than 1 MiB" in error.message
    assert peak < 4 * MAX_CONFIG_BYTES


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes(b"notify:\n  locale: \xe9\n")
    error = _refused(path)
    assert f"{path}:2: not UTF-8 text" in error.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbfnotify:\n  locale: en\n")
    assert load([path], {}).raw("notify", "locale") == "en"


def test_control_characters_name_the_line(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  locale: \x01\n"))
    assert f"{tmp_path / 'c.yml'}:2: not valid YAML" in error.message


def test_unknown_tag_is_a_yaml_error_with_line(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  locale: !python/name:os.system en\n"))
    assert f"{tmp_path / 'c.yml'}:2: not valid YAML" in error.message


def test_directory_as_config(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(tmp_path), "config", "check")
    assert result.code == 2
    assert f"configuration file {tmp_path} is a directory" in result.err
    assert "Traceback" not in result.all


def test_non_scalar_key_is_refused(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, "notify:\n  ? [a, b]\n  : x\n"))
    assert ":2: notify has a key that is not plain text" in error.message


# -- keys and the schema -------------------------------------------------------------------


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


def test_enum_of_strings_and_numbers_names_each_choice_once(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        "integration_configs:\n  project_management:\n    jira:\n"
        "      base_url: https://x.example\n      api_version: 4\n",
    )
    assert error.message.endswith("api_version is 4, which is not one of: 2, 3")


def test_malformed_yaml_gives_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  to: [slack\n  locale: en\n")
    assert "not valid YAML" in error.message
    assert f"{tmp_path / 'c.yml'}:" in error.message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    error = _error(tmp_path, "notify:\n  locale: en\n  locale: zh-CN\n")
    assert ":3: notify.locale is given twice" in error.message


def test_duplicate_key_with_quotes_is_still_a_duplicate(tmp_path: Path) -> None:
    error = _error(tmp_path, 'notify:\n  locale: en\n  "locale": zh-CN\n')
    assert ":3: notify.locale is given twice" in error.message


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


def test_a_mapping_where_a_list_belongs_is_refused_even_when_empty(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that an empty mapping where a
    list belongs is a schema error."""
    error = _refused(_write(tmp_path, "notify:\n  to: {}\n"))
    assert error.message == f"{tmp_path / 'c.yml'}:2: notify.to must be array, not object"


def test_a_value_of_neither_allowed_type_names_both(tmp_path: Path) -> None:
    """Found by mutation testing (mutmut 3): nothing pinned down that a value of neither
    allowed type names both types."""
    text = "integrations:\n  slack:\n    timeout: [30]\n"
    error = _refused(_write(tmp_path, text))
    assert error.message == (
        f"{tmp_path / 'c.yml'}:3: integrations.slack.timeout must be string or number, not array"
    )


def test_shipped_schema_is_valid_and_accepts_the_seed() -> None:
    import jsonschema
    import yaml

    from cibridge.config.schema import schema

    jsonschema.Draft202012Validator.check_schema(schema())
    validator = jsonschema.Draft202012Validator(schema())
    for path in SEEDS:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    assert list(validator.iter_errors({"notfy": {}}))


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
