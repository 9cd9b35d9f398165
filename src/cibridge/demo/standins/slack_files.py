"""Slack's external file upload: files.getUploadURLExternal, the one-time upload URL, and
files.completeUploadExternal, as Slack documents them (arguments, the files:write scope,
the ``{"ok": false, "error": ...}`` bodies in an HTTP 200).

Slack retired files.upload; its replacement is three requests per file. The stand-in keeps
what a test needs to see: the bytes each file arrived with (``Behaviour.slack_files``) and,
once completed into a thread, a file-share reply in that thread
(``Behaviour.slack_messages``), the way conversations.replies shows one.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping, Set
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from cibridge.demo.standins.server import Answer, Behaviour, Request

GET_URL = "/slack/api/files.getUploadURLExternal"
COMPLETE = "/slack/api/files.completeUploadExternal"
UPLOAD = "/slack/upload/v1/"
PATHS = (GET_URL, COMPLETE, UPLOAD)
# Slack's own limit on one file; a workspace may set a lower one (file_upload_size_restricted).
MAX_FILE_BYTES = 1024**3
MAX_ALT_TXT = 1000  # alt_txt_too_large above this
SNIPPET_MAX = 1024 * 1024  # snippet_too_large: "snippets ... are limited to 1MB"
SNIPPET_TYPES = frozenset({"text", "json", "javascript", "python", "shell", "yaml", "markdown"})


def _error(error: str, **extra: Any) -> Answer:
    return Answer(200, {"ok": False, "error": error, **extra})


def _invalid(message: str) -> Answer:
    # Slack's answer to an argument that fails its schema: the reason in response_metadata.
    return _error("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def _arguments(request: Request) -> dict[str, Any] | None:
    """The method's arguments: query string, then the body (form-encoded or JSON, the two
    content types Slack documents for both methods); None when the body is neither."""
    found: dict[str, Any] = dict(request.query)
    kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not request.raw:
        return found
    if kind == "application/json":
        try:
            body = json.loads(request.raw)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        found.update(body)
        return found
    if kind == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(
                request.raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True
            )
        except (UnicodeDecodeError, ValueError):
            return None
        found.update({key: values[0] for key, values in form.items()})
        return found
    return None


class SlackFiles:
    """The files.* methods and the upload URL, mounted by the Slack stand-in."""

    def __init__(self, behaviour: Behaviour, tokens: Set[str], channels: Mapping[str, str]) -> None:
        self.behaviour = behaviour
        self.tokens = tokens  # the Slack stand-in's own set: a token a test adds works here too
        self.channel_ids = frozenset(channels.values())
        self._lock = threading.Lock()
        self._tickets: dict[str, str] = {}  # upload ticket -> file id
        self._count = 0

    def handle(self, request: Request) -> Answer:
        if request.path.startswith(UPLOAD):
            return self._upload(request)
        if request.method not in ("POST", "GET"):
            return Answer(405, b"method_not_allowed", {"Allow": "POST"})
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            return _error("invalid_auth")
        if not self.behaviour.slack_files_scope:
            return _error("missing_scope", needed="files:write", provided="chat:write")
        args = _arguments(request)
        if args is None:
            return _error("invalid_form_data")
        if request.path == GET_URL:
            return self._get_url(request, args)
        return self._complete(args)

    def _get_url(self, request: Request, args: dict[str, Any]) -> Answer:
        filename = args.get("filename")
        if not isinstance(filename, str) or not filename.strip():
            return _invalid("missing required field: filename")
        try:
            length = int(str(args.get("length", "")))
        except ValueError:
            return _invalid("missing required field: length")
        if length <= 0:
            return _error("missing_argument")  # Slack: "Typically only occurs when length is 0"
        if length > MAX_FILE_BYTES:
            return _error("file_upload_size_restricted")
        if len(str(args.get("alt_txt", ""))) > MAX_ALT_TXT:
            return _error("alt_txt_too_large")
        snippet = args.get("snippet_type")
        if snippet is not None and snippet not in SNIPPET_TYPES:
            return _error("unknown_snippet_type")
        if snippet is not None and length > SNIPPET_MAX:
            return _error("snippet_too_large")
        with self._lock:
            self._count += 1
            file_id = f"F0STANDIN{self._count:04d}"
            ticket = secrets.token_urlsafe(24)
            self._tickets[ticket] = file_id
        self.behaviour.slack_files[file_id] = {
            "name": filename,
            "length": length,
            "data": None,  # not uploaded yet
            "completed": False,
        }
        # The real URL is on files.slack.com; here it is this server, found by its Host.
        host = request.headers.get("Host", "127.0.0.1")
        url = f"http://{host}{UPLOAD}{ticket}"
        return Answer(200, {"ok": True, "upload_url": url, "file_id": file_id})

    def _upload(self, request: Request) -> Answer:
        """The upload URL: a POST of the raw bytes, or multipart with the bytes in a part.
        Slack answers 200 ``OK - <length>``. It documents no error bodies here, so the
        stand-in refuses plainly (HTTP 400) what would lose or corrupt the file: a ticket
        it never issued or already used, and bytes that are not the length announced."""
        if request.method != "POST":
            return Answer(405, b"method_not_allowed", {"Allow": "POST"})
        ticket = request.path[len(UPLOAD) :]
        with self._lock:
            file_id = self._tickets.pop(ticket, None)  # one use only
        if file_id is None:
            return Answer(404, b"upload ticket not found or already used")
        data = _file_bytes(request)
        if data is None:
            return Answer(400, b"multipart body without a file part")
        stored = self.behaviour.slack_files[file_id]
        if len(data) != stored["length"]:
            stored["length_mismatch"] = len(data)
            return Answer(
                400, f"length mismatch: announced {stored['length']}, got {len(data)}".encode()
            )
        stored["data"] = data
        return Answer(200, f"OK - {len(data)}".encode())

    def _complete(self, args: dict[str, Any]) -> Answer:
        raw = args.get("files")
        try:
            files = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return _invalid("files must be a JSON-encoded array")
        if not isinstance(files, list) or not files:
            return _invalid("missing required field: files")
        if not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in files):
            return _invalid("every item of files needs an id")
        channel = args.get("channel_id")
        thread = args.get("thread_ts")
        if channel is not None and channel not in self.channel_ids:
            return _error("channel_not_found")  # "Value passed for channel_id was invalid."
        if thread is not None and channel is None:
            return _invalid("thread_ts needs channel_id (one channel)")
        if thread is not None and f"{channel}/{thread}" not in self.behaviour.slack_messages:
            return _error("thread_not_found")
        stored = [self.behaviour.slack_files.get(f["id"]) for f in files]
        # "Could not find the file from the upload ticket": never issued, never uploaded,
        # or completed already.
        if any(s is None or s["data"] is None or s["completed"] for s in stored):
            return _error("file_not_found")
        shared = []
        for entry, item in zip(files, stored, strict=True):
            assert item is not None
            item.update(
                completed=True,
                title=str(entry.get("title") or item["name"]),
                channel=channel,
                thread_ts=thread,
            )
            shared.append(
                {
                    "id": entry["id"],
                    "name": item["name"],
                    "title": item["title"],
                    "size": len(item["data"]),
                }
            )
        if channel is not None:
            self._share(channel, thread, shared, args.get("initial_comment"))
        return Answer(200, {"ok": True, "files": shared})

    def _share(
        self, channel: str, thread: str | None, files: list[dict[str, Any]], comment: Any
    ) -> None:
        """The file-share message Slack posts: a reply in the thread when thread_ts is given."""
        with self._lock:
            self._count += 1
            ts = f"{int(time.time())}.9{self._count:05d}"
        message: dict[str, Any] = {"type": "message", "subtype": "file_share", "files": files}
        message["text"] = str(comment) if comment else ""
        if thread is not None:
            message["thread_ts"] = thread
        self.behaviour.slack_messages[f"{channel}/{ts}"] = message


def _file_bytes(request: Request) -> bytes | None:
    kind = request.headers.get("Content-Type", "")
    if not kind.lower().startswith("multipart/form-data"):
        return request.raw
    head = f"Content-Type: {kind}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.raw)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") in ("file", "filename"):
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return None
