"""The one list of what makes a name (a header, a query parameter, a variable) say that
its value is a credential, for everything that masks, registers or drops such values.

Words count inside a name, so X-Api-Key, PRIVATE-TOKEN, access_token, X-Amz-Signature,
Set-Cookie and JIRA_API_TOKEN all count; a few short names (Azure's ``sig``, DingTalk's
``sign``, an OAuth ``code``) only as whole names, since "sig" is in "design", "sign" in
"assignee" and "code" in "barcode".
"""

from __future__ import annotations

from urllib.parse import unquote

WORDS = (
    "token",
    "secret",
    "key",
    "password",
    "passwd",
    "pwd",
    "auth",
    "cookie",
    "credential",
    "signature",
    "session",
)
WHOLE_NAMES = ("sign", "sig", "code")
# The same rule for a name inside text (``?name=value``), to be matched whole: the caller
# anchors it between a separator and "=".
NAME_PATTERN = rf"(?:[\w.-]*(?:{'|'.join(WORDS)})[\w.-]*|{'|'.join(WHOLE_NAMES)})"


def is_credential_name(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in WHOLE_NAMES or any(word in lowered for word in WORDS)
