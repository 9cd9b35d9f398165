"""Files into a Slack thread with the Web API's external upload (files.upload is retired).

Per file, three requests, each refusal that file's own (the others still go):

1. ``POST {api}/files.getUploadURLExternal`` (form: ``filename``, ``length``) with the bot
   token → ``{ok, upload_url, file_id}``;
2. ``POST upload_url`` with the bytes, **without the token**: the URL is itself the one-time
   credential (Slack's own SDK sends no Authorization there), and the token never goes to
   a host it was not issued for → ``200 OK - <length>``;
3. ``POST {api}/files.completeUploadExternal`` (form: ``files=[{"id", "title"}]`` as JSON,
   ``channel_id``, ``thread_ts``, optional ``initial_comment``) → ``{ok, files}``.

One completion per file rather than one for all: a file Slack refuses at completion
(``file_type_not_allowed``) then takes no other file down with it. The upload URL is
registered as a secret, so no log line, error or dry run shows it. The release thread
(and notify, for the message it just posted) call :func:`attach`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cibridge.core import redact
from cibridge.core.errors import EXIT_OK, CibridgeError, failure
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.clients.attachments import Attachment
    from cibridge.http.transport import Response, Transport

FORM = "application/x-www-form-urlencoded"
GET_URL = "files.getUploadURLExternal"
COMPLETE = "files.completeUploadExternal"
HINTS = {
    "missing_scope": "add the files:write scope to the Slack app and reinstall it",
    "not_in_channel": "invite the app to the channel (/invite @your-app)",
    "channel_not_found": "the channel id is wrong or the app cannot see the channel",
    "thread_not_found": "the thread's parent message is not in this channel",
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token (xoxb-...)",
    "not_authed": "no token was sent; set SLACK_BOT_TOKEN",
    "file_not_found": "the upload did not arrive or was completed already; run again",
    "file_upload_size_restricted": "the workspace restricts large uploads; attach a smaller "
    "file (an admin sets the limit)",
    "file_uploads_disabled": "a workspace admin turned file uploads off",
    "file_uploads_except_images_disabled": "this workspace takes images only",
    "file_type_not_allowed": "the workspace does not allow this file type",
    "storage_limit_reached": "the workspace's file storage is full",
    "posting_to_channel_denied": "the app may not post in this channel",
    "ratelimited": "Slack's rate limit (Tier 4: about 100 file calls a minute); retry later",
    "invalid_arguments": "a bug in cibridge's request: please report it",
}
_UPLOADED = re.compile(r"OK - (\d+)")


@dataclass
class Attached:
    """One file's outcome."""

    path: str
    name: str
    ok: bool
    detail: str = ""
    file_id: str = ""
    exit_code: int = EXIT_OK


def attach(
    transport: Transport,
    files: Sequence[Attachment],
    channel_id: str,
    thread_ts: str,
    *,
    api_url: str,
    token: str,
    timeout: float | None = None,
    initial_comment: str = "",
    label: str = "Slack",
) -> list[Attached]:
    """Upload each file and share it in the thread ``thread_ts`` (a parent message's ts,
    never a reply's) of channel ``channel_id`` (an id, as chat.postMessage answers it)."""
    results = []
    for item in files:
        what = f"{label}: attaching {excerpt(item.name, 80)}"
        try:
            file_id = _upload(transport, item, api_url, token, timeout, what)
            form = _complete_form(file_id, item, channel_id, thread_ts, initial_comment)
            _call(transport, f"{api_url}/{COMPLETE}", form, token, timeout, f"{what} ({COMPLETE})")
        except CibridgeError as error:
            results.append(
                Attached(item.path, item.name, False, str(error), exit_code=error.exit_code)
            )
            continue
        results.append(
            Attached(item.path, item.name, True, f"attached {excerpt(item.name, 80)}", file_id)
        )
    return results


def planned(
    files: Sequence[Attachment],
    channel_id: str,
    thread_ts: str,
    *,
    api_url: str,
    initial_comment: str = "",
) -> list[dict[str, Any]]:
    """The requests :func:`attach` would send, as a dry run shows them: names and lengths,
    never the bytes, the token or an upload URL."""
    from cibridge.core.redact import MASK

    auth = {"Authorization": f"Bearer {MASK}", "Content-Type": FORM}
    shown = []
    for item in files:
        form = _complete_form("<file_id from step 1>", item, channel_id, thread_ts, initial_comment)
        kind = "text, secrets masked" if item.masked else "text" if item.text else "binary, as is"
        shown.append(
            {
                "file": item.path,
                "requests": [
                    {
                        "method": "POST",
                        "url": f"{api_url}/{GET_URL}",
                        "headers": auth,
                        "body": {"filename": item.name, "length": str(item.length)},
                    },
                    {
                        "method": "POST",
                        "url": "<upload_url from step 1: one-time, never shown>",
                        "headers": {"Content-Type": "application/octet-stream"},
                        "body": f"<{item.length} bytes ({kind}); no token sent>",
                    },
                    {
                        "method": "POST",
                        "url": f"{api_url}/{COMPLETE}",
                        "headers": auth,
                        "body": form,
                    },
                ],
            }
        )
    return shown


def _complete_form(
    file_id: str, item: Attachment, channel_id: str, thread_ts: str, comment: str
) -> dict[str, str]:
    form = {
        "files": json.dumps([{"id": file_id, "title": item.name}], ensure_ascii=False),
        "channel_id": channel_id,
        "thread_ts": thread_ts,
    }
    if comment:
        form["initial_comment"] = comment
    return form


def upload_url_allowed(url: str, api_url: str) -> bool:
    """https, or plain http only where the API itself is plain (a loopback stand-in, a
    local proxy): the bytes must not travel less protected than the token did."""
    return url.startswith("https://") or (
        url.startswith("http://") and api_url.startswith("http://")
    )


def _upload(
    transport: Transport,
    item: Attachment,
    api_url: str,
    token: str,
    timeout: float | None,
    what: str,
) -> str:
    """Steps 1 and 2: the file id once Slack holds the bytes."""
    from cibridge.http.refusal import refusal

    form = {"filename": item.name, "length": str(item.length)}
    answer = _call(transport, f"{api_url}/{GET_URL}", form, token, timeout, f"{what} ({GET_URL})")
    url, file_id = answer.get("upload_url"), answer.get("file_id")
    if not isinstance(url, str) or not isinstance(file_id, str) or not file_id:
        raise failure(f"{what}: {GET_URL} answered without upload_url and file_id")
    redact.register(url)  # a one-time credential: never printed
    if not upload_url_allowed(url, api_url):
        raise failure(f"{what}: {GET_URL} answered an upload URL that is not https")
    response = transport.request(
        "POST",
        url,
        data=item.data,
        headers={"Content-Type": "application/octet-stream"},
        timeout=timeout,
        what=f"{what} (upload)",
    )
    refused = refusal(response, f"{what}: the upload URL did not take the file")
    if refused is not None:
        raise refused
    said = _UPLOADED.fullmatch(response.text.strip())
    if said is not None and int(said.group(1)) != item.length:
        raise failure(
            f"{what}: the upload URL received {said.group(1)} of {item.length} bytes",
            hint="run again; the file may have changed while it was sent",
        )
    return file_id


def _call(
    transport: Transport,
    url: str,
    form: Mapping[str, str],
    token: str,
    timeout: float | None,
    what: str,
) -> dict[str, Any]:
    response = transport.request(
        "POST",
        url,
        data=urlencode(form).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": FORM},
        timeout=timeout,
        what=what,
    )
    return _answer(response, what)


def _answer(response: Response, what: str) -> dict[str, Any]:
    """The body of an ``ok: true`` answer; ``ok: false`` (in an HTTP 200, or with a 429) is a
    failure named by Slack's error code, with what to do about it."""
    data = response.json()
    if not isinstance(data, dict):
        raise failure(
            f"{what}: HTTP {response.status}, not a Slack API answer: {response.excerpt()}"
        )
    if data.get("ok") is True:
        return data
    code = excerpt(data.get("error") or f"HTTP {response.status}", 80)
    metadata = data.get("response_metadata")
    messages = metadata.get("messages") if isinstance(metadata, dict) else None
    detail = excerpt("; ".join(map(str, messages))) if isinstance(messages, list) else ""
    needed = data.get("needed")
    if code == "missing_scope" and isinstance(needed, str):
        detail = f"needed: {excerpt(needed, 80)}"
    raise failure(f"{what}: {code}" + (f" ({detail})" if detail else ""), hint=HINTS.get(code, ""))
