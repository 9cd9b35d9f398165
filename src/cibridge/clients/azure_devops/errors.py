"""Azure DevOps refusals as messages that say what to do.

Azure DevOps answers an error as ``{"$id":"1","innerException":null,"message":"TF401232:
…","typeName":"…","typeKey":"WorkItemUnauthorizedAccessException","errorCode":0,
"eventId":3200}``; the ``TFnnnnnn`` code at the start of ``message`` says which rule
refused. A sign-in that failed is often no JSON at all: a 401 with an HTML page, or a
203 ("Non-Authoritative Information") carrying the sign-in page in place of the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.http.transport import Response

MISSING = "TF401232"  # work item does not exist, or no permission to read it
RULE = "TF401320"  # a field rule refused the value
CHANGED = "TF26071"  # changed by someone else since it was read (the test /rev failed)
THROTTLED = "TF400733"  # request blocked: a resource's usage exceeded
_LINK_EXISTS = re.compile(r"already exists|TF201035|TF201040", re.IGNORECASE)
_RULE_FIELD = re.compile(r"Rule Error for field (?P<field>.+?)\. Error code: (?P<codes>[^.]+)")
_CODE = re.compile(r"\s*((?:TF|VS)\d{5,6})\b")

CREDENTIALS_HINT = (
    "Azure DevOps did not accept the credentials: check the PAT (AZURE_DEVOPS_EXT_PAT, or "
    "token_ref under integration_configs.project_management.azure_devops; it needs the Work "
    "Items Read & write scope and must belong to this organization) or the bearer token "
    "(auth type bearer; in Azure Pipelines pass SYSTEM_ACCESSTOKEN to the step's env)"
)
HINTS = {
    401: CREDENTIALS_HINT,
    403: "the identity lacks a permission here: 'View work items in this node' to read, "
    "'Edit work items in this node' to update (Project Settings > Project configuration > "
    "Areas > Security); a PAT also needs the Work Items Read & write scope",
    404: "check AZURE_DEVOPS_ORG / AZURE_DEVOPS_PROJECT (organization and project) and the "
    "base_url of an Azure DevOps Server collection",
    429: "Azure DevOps kept throttling after the waits: run again later, or use another "
    "identity (the limits are per user and per pipeline)",
}
CODE_HINTS = {
    MISSING: "check the id, and that this identity can see the work item's area path",
    CHANGED: "someone changed the work item while cibridge updated it; run the step again",
    THROTTLED: HINTS[429],
}


class BoardsError(CibridgeError):
    """A refusal from Azure DevOps: ``status``, the ``code`` (TF401232 …) and ``typeKey``."""

    def __init__(
        self,
        message: str,
        status: int,
        *,
        code: str = "",
        type_key: str = "",
        said: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, exit_code=EXIT_FAILURE, hint=hint)
        self.status = status
        self.code = code
        self.type_key = type_key
        self.said = said  # Azure DevOps' own message, as sent (excerpted)

    @property
    def link_exists(self) -> bool:
        return (
            self.status == 400
            and bool(_LINK_EXISTS.search(self.said))
            and ("relation" in self.said.lower() or "link" in self.said.lower())
        )

    @property
    def changed(self) -> bool:
        return self.status in (409, 412) or self.code == CHANGED

    def rule(self) -> tuple[str, str] | None:
        """(field, error codes) of a TF401320 rule error."""
        found = _RULE_FIELD.search(self.said) if self.code == RULE else None
        return (found["field"], found["codes"].strip()) if found else None


def is_html(response: Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    head = response.body[:200].lstrip().lower()
    return "html" in kind or head.startswith((b"<!doctype html", b"<html"))


def refused(response: Response, what: str) -> BoardsError:
    """The error for an answer that is not a success."""
    status = response.status
    if 300 <= status < 400:
        from cibridge.http.refusal import refusal

        note = refusal(response, what)
        text = note.message if note else f"{what}: HTTP {status}"
        return BoardsError(
            text,
            status,
            hint="Azure DevOps answers its API without redirects: set base_url to the "
            "organization or collection URL itself (the token is never sent on to another host)",
        )
    data: Any = response.json()
    said = str(data.get("message") or "") if isinstance(data, dict) else ""
    type_key = str(data.get("typeKey") or "") if isinstance(data, dict) else ""
    if not said and is_html(response):
        said = "an HTML page (a sign-in page?), not Azure DevOps' JSON"
    said = excerpt(said or response.text or f"HTTP {status}")
    found = _CODE.match(said)
    code = found.group(1) if found else ""
    hint = CODE_HINTS.get(code) or HINTS.get(status, "")
    if status == 429:
        said = f"{said} ({throttle(response)})"
    return BoardsError(
        f"{what}: HTTP {status}: {said}",
        status,
        code=code,
        type_key=type_key,
        said=said,
        hint=hint,
    )


def throttle(response: Response) -> str:
    """What Azure DevOps' rate-limit headers say, for a 429's message."""
    headers = response.headers
    parts = []
    for name in ("x-ratelimit-resource", "x-ratelimit-remaining", "x-ratelimit-limit"):
        if headers.get(name):
            label = name.removeprefix("x-ratelimit-")
            parts.append(f"{label} {excerpt(headers[name], 60)}")
    if headers.get("retry-after"):
        parts.append(f"Retry-After {excerpt(headers['retry-after'], 20)}s")
    return "rate limit: " + (", ".join(parts) if parts else "no X-RateLimit headers")


def not_json(response: Response, what: str) -> BoardsError:
    """A success status whose body is not the JSON asked for."""
    if response.truncated:
        said = "the answer is larger than cibridge reads (1 MiB), so it was cut"
        hint = "ask for fewer work items at once, or check for a proxy in between"
    elif is_html(response) or response.status == 203:
        said = "a sign-in page (HTML), not JSON: the credentials were not accepted"
        hint = CREDENTIALS_HINT
    else:
        said = f"not the JSON Azure DevOps answers with ({excerpt(response.text, 60)!r})"
        hint = "check that base_url is the Azure DevOps organization or collection URL"
    return BoardsError(f"{what}: HTTP {response.status} with {said}", response.status, hint=hint)
