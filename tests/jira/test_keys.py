from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cibridge.clients.jira.keys import Source, discover, find_keys, parse_key
from tests.jira.strategies import SETTINGS, after, anything, before, glue, keys

# Commit messages, titles and branch names as people write them, and the keys in them.
REAL_WORLD = [
    ("PROJ-123 Fix login redirect", ["PROJ-123"]),
    ("[PROJ-7] Bump requests to 2.32.3", ["PROJ-7"]),
    ("fix(api): handle 429 (PROJ-8, PROJ-9)", ["PROJ-8", "PROJ-9"]),
    ("Merge pull request #42 from acme/feature/PROJ-42-add-login", ["PROJ-42"]),
    ("Merge branch 'bugfix/abc-17_null_check' into 'main'", ["ABC-17"]),
    ("Closes PROJ-5. See https://jira.example.com/browse/PROJ-6 for details", ["PROJ-5", "PROJ-6"]),
    ('Revert "PROJ-11: cache tokens"\n\nThis reverts commit 1a2b3c4.', ["PROJ-11"]),
    ("PROJ-1 PROJ-2 proj-1 again", ["PROJ-1", "PROJ-2"]),
    ("Upgrade OpenSSL for CVE-2024-1234 and CVE-2023-44487", []),
    ("Use UTF-8 everywhere, hash with SHA-256, dates in ISO-8601", []),
    ("Release 2024-01-15 (v1.4.2)", []),
    ("Build for x86-64 and arm64; license GPL-3", []),
    ("Escape XSS (CWE-79), follow PEP-8 and RFC-7231", []),
    ("Pin runner to ubuntu-22.04 and python-3.12.1", []),
    ("Update COVID-19 banner", []),
    ("Squash: thisNOT-123 is not a key, nor is Covid-19", []),
    ("DATA_2-15 migrate tables", ["DATA_2-15"]),
    ("修复PROJ-12的登录问题", ["PROJ-12"]),
    ("PROJ-12：中文冒号", ["PROJ-12"]),
    ("", []),
]


def _id(text: str) -> str:
    """A test id in printable ASCII: pytest escapes others (\\n, \\u4fee), and mutmut's
    second in-process run cannot select the escaped ids."""
    return "".join(c if " " <= c <= "~" else "_" for c in text[:40])


@pytest.mark.parametrize(("text", "keys"), REAL_WORLD, ids=[_id(t) for t, _ in REAL_WORLD])
def test_real_world_messages(text: str, keys: list[str]) -> None:
    assert find_keys(text) == keys


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("proj-12", ["PROJ-12"]),  # lower-case, as in branch names
        ("PROJ-12.", ["PROJ-12"]),
        ("PROJ-12:", ["PROJ-12"]),
        ("PROJ-12, PROJ-13;", ["PROJ-12", "PROJ-13"]),
        ("\"PROJ-1\" 'PROJ-2' #PROJ-3 (PROJ-4) [PROJ-5] /PROJ-6 :PROJ-7", None),
        ("PROJ-42_fix", ["PROJ-42"]),  # underscore separates, as in branch names
        ("PROJ-42-add-login", ["PROJ-42"]),
        ("PROJ-9999999", ["PROJ-9999999"]),  # seven digits
        ("AB-1", ["AB-1"]),  # the shortest project
    ],
)
def test_keys_found(text: str, keys: list[str] | None) -> None:
    expected = keys if keys is not None else [f"PROJ-{n}" for n in range(1, 8)]
    assert find_keys(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "thisNOT-123",  # glued to a word: neither NOT-123 nor THISNOT-123
        "Proj-12",  # title case: Covid-19, Windows-10
        "PROJ-12abc",
        "PROJ-12é",
        "xPROJ-12",
        "x-PROJ-12",
        "x_PROJ-12",  # X_PROJ would be a key of its own, but it is mixed case
        "CVE-2024-1234",
        "ISO-8859-1",
        "release-1.2.3",
        "web-1.example.com",
        "pkg.mod-1",
        "PROJ-0",
        "PROJ-012",
        "PROJ-12345678",  # eight digits: usually a date
        "X-123",  # one letter: only with an allowlist
        "2024-01-15",
        "A" * 31 + "-1",
        "PROJ-",
        "-12",
    ],
)
def test_not_keys(text: str) -> None:
    assert find_keys(text) == []


def test_denylist_names_are_keys_with_an_allowlist() -> None:
    assert find_keys("UTF-8 and SHA-256") == []
    assert find_keys("UTF-8 and SHA-256", projects={"utf"}) == ["UTF-8"]


def test_allowlist_keeps_only_its_projects_in_any_case() -> None:
    text = "PROJ-1 OTHER-2 ops-3 Proj-4 X-5"
    assert find_keys(text, projects=["proj", "OPS", "x"]) == ["PROJ-1", "OPS-3", "PROJ-4", "X-5"]


def test_allowlist_still_needs_a_word_boundary_and_a_whole_number() -> None:
    assert find_keys("thisNOT-123 NOT-12abc CVE-2024-1234", projects={"NOT", "CVE"}) == []


def test_empty_allowlist_means_no_allowlist() -> None:
    assert find_keys("PROJ-1", projects=[]) == ["PROJ-1"]
    assert find_keys("PROJ-1", projects=[" "]) == ["PROJ-1"]


def test_parse_key_takes_one_key_on_its_own() -> None:
    assert parse_key(" proj-12 ") == "PROJ-12"
    assert parse_key("UTF-8") == "UTF-8"  # named on purpose: no denylist
    assert parse_key("X-1") == "X-1"
    for value in ("PROJ-12 PROJ-13", "PROJ", "PROJ-0", "12", "PROJ-1a", ""):
        assert parse_key(value) is None, value


def test_discover_maps_each_key_to_where_it_was_found() -> None:
    found = discover(
        [
            Source("branch", "feature/PROJ-42-login"),
            ("pull request title", "PROJ-42 and PROJ-7: login"),
            ("commit abc1234", "proj-7 tests\n\nRefs PROJ-42"),
            ("commit abc1234", "PROJ-7 again from the same source"),
            ("commit def5678", "no key here"),
        ]
    )
    assert found == {
        "PROJ-42": ["branch", "pull request title", "commit abc1234"],
        "PROJ-7": ["pull request title", "commit abc1234"],
    }
    assert list(found) == ["PROJ-42", "PROJ-7"]  # first appearance first


def test_discover_applies_the_allowlist() -> None:
    texts = [("--issues-from-text", "PROJ-1 OTHER-2 UTF-8")]
    assert discover(texts, projects={"other", "utf"}) == {
        "OTHER-2": ["--issues-from-text"],
        "UTF-8": ["--issues-from-text"],
    }
    assert discover([]) == {}


# -- properties (hypothesis; strategies in strategies.py) ----------------------------------


@SETTINGS
@given(st.text(max_size=60), before, keys, after, st.text(max_size=60))
def test_a_key_between_boundaries_is_found(
    prefix: str, left: str, key: str, right: str, suffix: str
) -> None:
    assert key in find_keys(f"{prefix} {left}{key}{right} {suffix}")


@SETTINGS
@given(keys, glue)
def test_a_key_glued_after_a_word_character_is_not_that_key(key: str, char: str) -> None:
    assert key not in find_keys(f"see {char}{key} now")


@SETTINGS
@given(keys, st.sampled_from(list("abcXYZ0123456789é")))
def test_a_key_followed_by_a_letter_or_digit_is_not_that_key(key: str, char: str) -> None:
    assert key not in find_keys(f"see {key}{char} now")


@SETTINGS
@given(keys, st.booleans())
def test_case_does_not_matter_and_keys_come_back_upper_case(key: str, lower: bool) -> None:
    assert find_keys(f"fix {key.lower() if lower else key}") == [key]


@SETTINGS
@given(anything)
def test_every_key_found_is_well_formed_unique_and_in_the_text(text: str) -> None:
    found = find_keys(text)
    assert len(found) == len(set(found))
    for key in found:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{1,29}-[1-9][0-9]{0,6}", key)
        assert key in text.upper()


def test_project_names_up_to_thirty_characters() -> None:
    assert find_keys(f"{'A' * 30}-1 done") == [f"{'A' * 30}-1"]
    assert find_keys(f"{'A' * 31}-1 done") == []


# One character from each range of _CJK, glued to a key on both sides.
@pytest.mark.parametrize("glue_char", ["\u3042", "\u30a2", "\u3400", "\u4e00", "\uac00", "\uf900"])
def test_every_cjk_range_is_a_boundary(glue_char: str) -> None:
    assert find_keys(f"{glue_char}PROJ-12{glue_char}") == ["PROJ-12"]


# -- look-alikes from real commit histories: URLs, e-mail, paths, images, merged branches ---

LOOK_ALIKES = [
    ("See https://github.com/o/r/discussions/1#discussioncomment-3118836", []),
    ("PROJ-12 fix, see https://x/y#discussioncomment-3", ["PROJ-12"]),
    ("https://ci.example/job/deploy-42/ and www.example.com/team-7", []),
    ("Closes PROJ-5. See https://jira.example.com/browse/PROJ-6", ["PROJ-5", "PROJ-6"]),
    ("Move the page to docs/ghes-221/ for PROJ-3", ["PROJ-3"]),
    ("Update content/rest/ghes-221/index.md", []),
    ("Merge pull request #19 from user/patch-1", []),
    ("Merge pull request #20 from org-123/fix-login\n\nPROJ-4 login", ["PROJ-4"]),
    ("Merge branch 'issue-604'", []),
    ("Merge branch 'issue-604' into 'main'\n\nFixes PROJ-8", ["PROJ-8"]),
    ("Merge remote-tracking branch 'origin/patch-2'", []),
    ("Merge branches 'patch-1' and 'PROJ-9-login' into main", ["PROJ-9"]),
    ("Co-authored-by: Bot <org-6811672@users.noreply.github.com>", []),
    ("Mail x@org-6811672.example about PROJ-2", ["PROJ-2"]),
    ("Add image-1.png and push registry/image-1:tag", []),
    ("Run ghcr.io/acme/build-7:v2 and tool-3:latest", []),
    ("PROJ-12:fix the crash", ["PROJ-12"]),  # an upper-case key before a colon is no image
]


@pytest.mark.parametrize(("text", "keys"), LOOK_ALIKES, ids=[_id(t) for t, _ in LOOK_ALIKES])
def test_look_alikes_in_urls_addresses_paths_images_and_merged_branches(
    text: str, keys: list[str]
) -> None:
    assert find_keys(text) == keys


def test_lower_case_keys_still_count_outside_those_places() -> None:
    assert find_keys("proj-12 fix; branch feature/proj-42-login") == ["PROJ-12", "PROJ-42"]
    # A merged branch that names its issue, then describes it, still names it.
    assert find_keys("Merge branch 'bugfix/abc-17_null_check' into 'main'") == ["ABC-17"]
    assert find_keys("Merge branch 'feature/proj-42-add-login'") == ["PROJ-42"]


@pytest.mark.parametrize("unit", ["a", "ab.", "a-", "a@", "a:", "a/", "a.b@"])
def test_a_long_token_costs_one_scan(unit: str) -> None:
    # Unanchored, the look-alike patterns retried every position: 50,000 characters of
    # "a" took 20 seconds. Anchored to token starts they take milliseconds.
    import time

    text = unit * (20_000 // len(unit))
    started = time.perf_counter()
    find_keys(text)
    assert time.perf_counter() - started < 1.0


# -- the constants, one by one: each denylisted name, each CJK range, each look-alike rule --


@pytest.mark.parametrize(
    "text",
    [
        "UTF-8",
        "UCS-2",
        "SHA-1",
        "md-5",
        "AES-128",
        "RSA-2048",
        "ISO-8601",
        "RFC-7231",
        "PEP-8",
        "IEEE-754",
        "ECMA-262",
        "CVE-2024",
        "CWE-79",
        "GPL-2",
        "LGPL-3",
        "AGPL-3",
        "x86-64",
        "COVID-19",
    ],
)
def test_every_denylisted_name_is_no_key_without_an_allowlist(text: str) -> None:
    assert find_keys(f"use {text} here") == []
    project = text.split("-")[0]
    assert find_keys(f"use {text} here", projects={project}) == [text.upper()]


def test_names_near_a_denylisted_one_are_keys() -> None:
    assert find_keys("UT-8 UTFX-8 SH-1 ISOS-2") == ["UT-8", "UTFX-8", "SH-1", "ISOS-2"]


# The first and the last letter of each range of _CJK, glued to a key on both sides. Some
# range ends are unassigned code points (U+3040, U+D7AF, U+FAFF): those are no word
# characters, so they are boundaries anyway and would not show a range cut short; the last
# assigned letter before them does.
@pytest.mark.parametrize(
    "glue_char",
    [
        "\u3041",
        "\u30ff",
        "\u3400",
        "\u4dbf",
        "\u4e00",
        "\u9fff",
        "\uac00",
        "\ud7a3",
        "\uf900",
        "\ufad9",
    ],
)
def test_both_ends_of_every_cjk_range_are_boundaries(glue_char: str) -> None:
    assert re.fullmatch(r"\w", glue_char)  # a letter: only _CJK makes it a boundary
    assert find_keys(f"{glue_char}PROJ-12{glue_char}") == ["PROJ-12"]


@pytest.mark.parametrize(
    "text",
    [
        "éXPROJ-12",  # an upper-case letter before it is part of the word
        "PROJ-12X",  # and after it
        "PROJ-12_X",  # "_" after it separates, but the key must still end there
        "\u3000PROJ-12",  # an ideographic space: a boundary like any space
    ],
)
def test_the_word_boundary_is_letters_digits_and_underscore_not_just_lower_case(
    text: str,
) -> None:
    expected = ["PROJ-12"] if text in ("PROJ-12_X", "\u3000PROJ-12") else []
    assert find_keys(text) == expected


def test_a_key_given_on_its_own_may_carry_spaces_but_nothing_else() -> None:
    assert parse_key("PROJ-12") == "PROJ-12"
    assert parse_key("\tproj-9999999\n") == "PROJ-9999999"
    assert parse_key("PROJ-12345678") is None
    assert parse_key("DATA_2-15") == "DATA_2-15"
    assert parse_key("PROJ_-1") == "PROJ_-1"
    assert parse_key("_PROJ-1") is None


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        # E-mail addresses: upper-case, lower-case and numeric domains alike.
        ("Mail PROJ-1@EXAMPLE.COM", []),
        ("Mail PROJ-1@example.COM", []),
        ("Mail PROJ-1@EXAMPLE.com", []),
        ("Mail PROJ-2@example.com", []),
        ("Deploy as PROJ-3@10.0.0.5", []),
        ("Mail PROJ-4@host-1.example", []),
        # Images: a registry with a port, a digest, a version tag, a name starting with a digit.
        ("docker pull localhost:5000/team/app-2:1.0", []),
        ("Pin app-4@sha256:" + "0123456789abcdef" * 4, []),
        ("Pin registry.example/app-5@sha256:" + "fedcba9876543210" * 4, []),
        ("Run app-6:1.4.2 and app-7:v2.0", []),
        ("Push 1password/cli-2:latest", []),
        # A sha256 digest is 64 hex digits, lower-case: anything else is no image.
        ("Pin PROJ-5@sha256:" + "0123456789ABCDEF" * 4, ["PROJ-5"]),
        # File paths: extensions in either case, with digits; a dotted name inside a branch
        # name is not an extension.
        ("Update docs/ghes-221/NOTES.TXT", []),
        ("Update content/ghes-221/Index.Md", []),
        ("Add media/clip-3/intro.mp4", []),
        ("feature/proj-11-upgrade-node.js-20", ["PROJ-11"]),
        ("See ftp://host/proj-1 and ssh://host/proj-2 and git://host/proj-3", []),
        ("See HTTP://HOST/PROJ-1 and WWW.EXAMPLE.COM/PROJ-2", []),
        ("Open https://jira.example.com/BROWSE/PROJ-6", ["PROJ-6"]),
        ("Open https://jira.example.com/browse/PROJ-6", ["PROJ-6"]),
        ("Open https://jira.example.com/rowse/PROJ-6", []),
        # Merge subjects: the pull request's branch needs its number.
        ("Merge pull request from user/patch-1", ["PATCH-1"]),
        ("Merge pull request #7 from user/patch-1 into proj-2", ["PROJ-2"]),
        ("Merged 'patch-1'", ["PATCH-1"]),  # not a merge subject
        # A merge commit's body still has its URLs, addresses, images and paths.
        (
            "Merge branch 'x'\n\nSee https://x/y#discussioncomment-3, x@org-5.example, "
            "app-6:latest and docs/ghes-221/",
            [],
        ),
        # Punctuation after a path ends the sentence, not the path.
        ("Moved to docs/ghes-221/.", []),
        ("Moved to docs/ghes-221/, see index.md!", []),
        ("See content/ghes-221/index.md?", []),
    ],
)
def test_each_look_alike_rule(text: str, keys: list[str]) -> None:
    assert find_keys(text) == keys


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        # Only punctuation ends a path early: a last segment of capital letters is part of it,
        # so this is a branch (no directory, no file with an extension) and names PROJ-7 ...
        ("see feature/proj-7/X", ["PROJ-7"]),
        # ... while a one-letter extension makes it a file, and a trailing "/" a directory.
        ("see feature/proj-7-v1.X", []),
        ("see feature/proj-7/X/", []),
    ],
)
def test_a_path_ends_where_its_punctuation_starts(text: str, keys: list[str]) -> None:
    assert find_keys(text) == keys


def test_an_image_tag_starts_with_a_digit_a_v_and_a_digit_or_is_latest() -> None:
    # "proj-12:fix" has the shape of name:tag, but a tag like "fix" is a sentence.
    assert find_keys("proj-12:fix the crash") == ["PROJ-12"]
    assert find_keys("proj-12:v2 proj-13:latest proj-14:2.1") == []


def test_the_whole_domain_of_an_e_mail_address_is_part_of_it() -> None:
    # A label ending in "-" lets a key after the next dot past the dotted-name rule; only
    # the address, every label of its domain, keeps it out.
    assert find_keys("Mail x@hosts.team-.proj-5") == []
    assert find_keys("Mail x@hosts.team-.proj-5.example") == []


def test_only_the_quoted_names_of_a_merge_subject_are_its_branches() -> None:
    # git merging main into a feature branch: the branch after "into" is not quoted and
    # names the issue as any text does.
    assert find_keys("Merge branch 'main' into feature/proj-7") == ["PROJ-7"]
    assert find_keys("Merge branch 'proj-6' into 'main'") == []
