"""Files into a Slack thread through the stand-in: three requests per file, the token only
on slack's API (never on the upload URL), the upload URL never shown, and each file's
refusal its own."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from cibridge.clients.attachments import Attachment
from cibridge.clients.slack_files import attach, planned, upload_url_allowed
from cibridge.core import redact
from cibridge.core.errors import EXIT_FAILURE
from cibridge.demo.standins import SLACK_TOKEN, StandIns
from cibridge.demo.standins.server import Request
from cibridge.http.transport import HttpSettings, Transport


def _file(name: str, data: bytes) -> Attachment:
    return Attachment(name, name, data, True, False)


def _parent(stand_ins: StandIns) -> str:
    ts = "1700000000.000001"
    stand_ins.behaviour.slack_messages[f"C0DEPLOYS/{ts}"] = {"text": "release 1.2.3"}
    return ts


def _attach(stand_ins: StandIns, files: list[Attachment], ts: str) -> list:  # type: ignore[type-arg]
    with Transport(HttpSettings(retries=0)) as transport:
        return attach(
            transport,
            files,
            "C0DEPLOYS",
            ts,
            api_url=f"{stand_ins.base}/slack/api",
            token=SLACK_TOKEN,
        )


def test_each_file_is_three_requests_and_lands_in_the_thread(stand_ins: StandIns) -> None:
    ts = _parent(stand_ins)
    results = _attach(stand_ins, [_file("a.json", b'{"v": 1}'), _file("b.txt", b"bee")], ts)
    assert [(r.ok, r.name) for r in results] == [(True, "a.json"), (True, "b.txt")]
    paths = [r.path.split("?")[0].rsplit("/", 2)[-2:] for r in stand_ins.of("slack")]
    assert [p[-1] if p[0] == "api" else "upload" for p in paths] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ] * 2
    first = parse_qs(stand_ins.of("slack")[0].raw.decode())
    assert first == {"filename": ["a.json"], "length": ["8"]}
    done = parse_qs(stand_ins.of("slack")[2].raw.decode())
    assert json.loads(done["files"][0]) == [{"id": results[0].file_id, "title": "a.json"}]
    assert (done["channel_id"], done["thread_ts"]) == (["C0DEPLOYS"], [ts])
    in_thread = [
        m["files"][0]["name"]
        for m in stand_ins.behaviour.slack_messages.values()
        if m.get("thread_ts") == ts
    ]
    assert in_thread == ["a.json", "b.txt"]


def test_the_token_never_goes_to_the_upload_url_and_the_url_is_never_shown(
    stand_ins: StandIns,
) -> None:
    ts = _parent(stand_ins)
    _attach(stand_ins, [_file("a.txt", b"abc")], ts)
    upload = [r for r in stand_ins.of("slack") if "/upload/" in r.path]
    assert len(upload) == 1
    assert "Authorization" not in upload[0].headers
    assert upload[0].raw == b"abc"
    api = [r for r in stand_ins.of("slack") if "/api/" in r.path]
    assert all(r.headers["Authorization"] == f"Bearer {SLACK_TOKEN}" for r in api)
    # registered as a secret: any line that mentions it comes out masked
    url = f"{stand_ins.base}{upload[0].path}"
    assert redact.redact(f"see {url}") == "see ***"


def test_a_refused_file_does_not_stop_the_next(stand_ins: StandIns) -> None:
    ts = _parent(stand_ins)
    results = _attach(stand_ins, [_file("empty.txt", b""), _file("b.txt", b"bee")], ts)
    assert not results[0].ok and results[0].exit_code == EXIT_FAILURE
    assert "files.getUploadURLExternal): missing_argument" in results[0].detail
    assert results[1].ok


def test_missing_scope_says_which_and_how(stand_ins: StandIns) -> None:
    stand_ins.behaviour.slack_files_scope = False
    [result] = _attach(stand_ins, [_file("a.txt", b"abc")], _parent(stand_ins))
    assert "missing_scope (needed: files:write)" in result.detail
    assert "add the files:write scope" in result.detail


def test_a_thread_that_does_not_exist_is_slacks_error(stand_ins: StandIns) -> None:
    [result] = _attach(stand_ins, [_file("a.txt", b"abc")], "1.000009")
    assert not result.ok and "files.completeUploadExternal): thread_not_found" in result.detail


def _answer_with(body: bytes, kind: str = "application/json"):  # type: ignore[no-untyped-def]
    def handler(request: Request, http_handler) -> None:  # type: ignore[no-untyped-def]
        http_handler.send_response(200)
        http_handler.send_header("Content-Type", kind)
        http_handler.send_header("Content-Length", str(len(body)))
        http_handler.end_headers()
        http_handler.wfile.write(body)

    return handler


def _ticket_at(stand_ins: StandIns, upload_url: str) -> None:
    """files.getUploadURLExternal answers this upload URL (once)."""
    answer = json.dumps({"ok": True, "upload_url": upload_url, "file_id": "F0FIXED"}).encode()
    stand_ins.override("/slack/api/files.getUploadURLExternal", _answer_with(answer), times=1)


def test_an_upload_url_that_got_fewer_bytes_is_a_failure(stand_ins: StandIns) -> None:
    _ticket_at(stand_ins, f"{stand_ins.base}/slack/upload/v1/fixed")
    stand_ins.override("/slack/upload/v1/fixed", _answer_with(b"OK - 1", "text/plain"))
    [result] = _attach(stand_ins, [_file("a.txt", b"abc")], _parent(stand_ins))
    assert not result.ok and "received 1 of 3 bytes" in result.detail
    assert "/upload/v1/fixed" not in result.detail  # the URL is never shown


def test_an_upload_url_that_is_not_http_is_refused_before_anything_is_sent(
    stand_ins: StandIns,
) -> None:
    _ticket_at(stand_ins, "ftp://files.example/upload")
    [result] = _attach(stand_ins, [_file("a.txt", b"abc")], _parent(stand_ins))
    assert not result.ok and "not https" in result.detail
    assert [r.path.rsplit("/", 1)[-1] for r in stand_ins.of("slack")] == [
        "files.getUploadURLExternal"
    ]


def test_plain_http_upload_only_where_the_api_is_plain_too() -> None:
    assert upload_url_allowed("https://files.slack.com/upload/v1/x", "https://slack.com/api")
    assert not upload_url_allowed("http://files.slack.com/upload/v1/x", "https://slack.com/api")
    assert upload_url_allowed("http://127.0.0.1:9/upload", "http://127.0.0.1:9/slack/api")
    assert not upload_url_allowed("file:///etc/passwd", "http://127.0.0.1:9/slack/api")


def test_a_dry_run_shows_names_and_lengths_never_bytes_token_or_url() -> None:
    shown = planned(
        [Attachment("out/r.json", "r.json", b"secret-bytes", True, True)],
        "C0DEPLOYS",
        "1.2",
        api_url="https://slack.com/api",
    )
    text = json.dumps(shown)
    assert "secret-bytes" not in text and SLACK_TOKEN not in text
    requests = shown[0]["requests"]
    assert [r["url"] for r in requests] == [
        "https://slack.com/api/files.getUploadURLExternal",
        "<upload_url from step 1: one-time, never shown>",
        "https://slack.com/api/files.completeUploadExternal",
    ]
    assert requests[0]["body"] == {"filename": "r.json", "length": "12"}
    assert "secrets masked" in requests[1]["body"] and "no token sent" in requests[1]["body"]
    assert requests[2]["body"]["thread_ts"] == "1.2"
