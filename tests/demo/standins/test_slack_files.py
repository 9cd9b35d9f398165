"""The Slack stand-in's external upload answers as Slack documents it: the files:write
scope, the arguments of files.getUploadURLExternal and files.completeUploadExternal, a
one-time upload URL that takes exactly the announced length, and a file completed once,
into a thread that exists."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from cibridge.demo import standins
from cibridge.demo.standins import StandIns
from tests.demo.standins.client import Reply, send

AUTH = {"Authorization": f"Bearer {standins.SLACK_TOKEN}"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}


def _form(stand_ins: StandIns, method: str, args: dict[str, str]) -> dict[str, object]:
    reply = send(stand_ins.base, f"/slack/api/{method}", urlencode(args).encode(), headers=FORM)
    assert reply.status == 200
    return reply.json  # type: ignore[no-any-return]


def _ticket(stand_ins: StandIns, name: str = "report.json", length: int = 5) -> tuple[str, str]:
    answer = _form(
        stand_ins, "files.getUploadURLExternal", {"filename": name, "length": str(length)}
    )
    assert answer["ok"] is True, answer
    return str(answer["upload_url"]), str(answer["file_id"])


def _upload(stand_ins: StandIns, url: str, data: bytes, **headers: str) -> Reply:
    return send(stand_ins.base, urlsplit(url).path, data, headers=headers)


def _parent(stand_ins: StandIns) -> str:
    reply = send(
        stand_ins.base,
        "/slack/api/chat.postMessage",
        {"channel": "#deployments", "text": "x"},
        headers=AUTH,
    )
    return str(reply.json["ts"])


def test_a_file_goes_up_and_lands_in_the_thread(stand_ins: StandIns) -> None:
    ts = _parent(stand_ins)
    url, file_id = _ticket(stand_ins, length=5)
    uploaded = _upload(stand_ins, url, b"hello")
    assert (uploaded.status, uploaded.body) == (200, b"OK - 5")
    files = json.dumps([{"id": file_id, "title": "Gate report"}])
    done = _form(
        stand_ins,
        "files.completeUploadExternal",
        {"files": files, "channel_id": "C0DEPLOYS", "thread_ts": ts, "initial_comment": "see"},
    )
    assert done == {
        "ok": True,
        "files": [{"id": file_id, "name": "report.json", "title": "Gate report", "size": 5}],
    }
    replies = [m for m in stand_ins.behaviour.slack_messages.values() if m.get("thread_ts") == ts]
    assert [(m["subtype"], m["text"], m["files"][0]["id"]) for m in replies] == [
        ("file_share", "see", file_id)
    ]
    assert stand_ins.behaviour.slack_files[file_id]["data"] == b"hello"


def test_multipart_upload_is_taken_too(stand_ins: StandIns) -> None:
    url, file_id = _ticket(stand_ins, length=3)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        b"abc\r\n--XX--\r\n"
    )
    reply = _upload(stand_ins, url, body, **{"Content-Type": "multipart/form-data; boundary=XX"})
    assert (reply.status, reply.body) == (200, b"OK - 3")
    assert stand_ins.behaviour.slack_files[file_id]["data"] == b"abc"


def test_the_upload_url_takes_the_announced_length_once(stand_ins: StandIns) -> None:
    url, _ = _ticket(stand_ins, length=5)
    short = _upload(stand_ins, url, b"hell")
    assert short.status == 400 and b"announced 5, got 4" in short.body
    # the ticket was spent on the bad try: a second use is refused
    assert _upload(stand_ins, url, b"hello").status == 404


def test_get_upload_url_checks_its_arguments(stand_ins: StandIns) -> None:
    get = "files.getUploadURLExternal"
    assert _form(stand_ins, get, {"length": "5"})["error"] == "invalid_arguments"
    assert _form(stand_ins, get, {"filename": "a", "length": "x"})["error"] == "invalid_arguments"
    assert _form(stand_ins, get, {"filename": "a", "length": "0"})["error"] == "missing_argument"
    too_big = {"filename": "a", "length": str(2 * 1024**3)}
    assert _form(stand_ins, get, too_big)["error"] == "file_upload_size_restricted"
    alt = {"filename": "a", "length": "1", "alt_txt": "x" * 1001}
    assert _form(stand_ins, get, alt)["error"] == "alt_txt_too_large"
    snippet = {"filename": "a", "length": "1", "snippet_type": "cobol"}
    assert _form(stand_ins, get, snippet)["error"] == "unknown_snippet_type"
    # the query string is as good as the form: both are how Slack takes arguments
    query = send(stand_ins.base, f"/slack/api/{get}?filename=a&length=2", b"", headers=AUTH).json
    assert query["ok"] is True


def test_auth_and_the_files_write_scope(stand_ins: StandIns) -> None:
    args = urlencode({"filename": "a", "length": "1"}).encode()
    path = "/slack/api/files.getUploadURLExternal"
    wrong = send(stand_ins.base, path, args, headers={"Authorization": "Bearer xoxb-nope"})
    assert wrong.json == {"ok": False, "error": "invalid_auth"}
    stand_ins.behaviour.slack_files_scope = False
    assert _form(stand_ins, "files.getUploadURLExternal", {"filename": "a", "length": "1"}) == {
        "ok": False,
        "error": "missing_scope",
        "needed": "files:write",
        "provided": "chat:write",
    }


def test_complete_refuses_what_slack_refuses(stand_ins: StandIns) -> None:
    ts = _parent(stand_ins)
    done = "files.completeUploadExternal"
    url, file_id = _ticket(stand_ins, length=2)
    one = json.dumps([{"id": file_id}])
    # not uploaded yet: Slack cannot find the file from the ticket
    assert (
        _form(stand_ins, done, {"files": one, "channel_id": "C0DEPLOYS"})["error"]
        == "file_not_found"
    )
    _upload(stand_ins, url, b"ok")
    assert _form(stand_ins, done, {"files": "not json"})["error"] == "invalid_arguments"
    assert _form(stand_ins, done, {"files": "[]"})["error"] == "invalid_arguments"
    never = json.dumps([{"id": "F0NEVER"}])
    assert (
        _form(stand_ins, done, {"files": never, "channel_id": "C0DEPLOYS"})["error"]
        == "file_not_found"
    )
    # a channel name is not an id
    by_name = {"files": one, "channel_id": "#deployments", "thread_ts": ts}
    assert _form(stand_ins, done, by_name)["error"] == "channel_not_found"
    no_thread = {"files": one, "channel_id": "C0DEPLOYS", "thread_ts": "1.000000"}
    assert _form(stand_ins, done, no_thread)["error"] == "thread_not_found"
    assert _form(stand_ins, done, {"files": one, "thread_ts": ts})["error"] == "invalid_arguments"
    good = {"files": one, "channel_id": "C0DEPLOYS", "thread_ts": ts}
    assert _form(stand_ins, done, good)["ok"] is True
    # completed once: a second completion finds no file
    assert _form(stand_ins, done, good)["error"] == "file_not_found"
