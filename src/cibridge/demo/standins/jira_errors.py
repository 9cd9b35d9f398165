"""Jira's own answers for what goes wrong, in one place.

Jira reports failures as ``{"errorMessages": [...], "errors": {field: message}}``. The
wordings marked *observed* were copied from answers real Jira sites gave (quoted in bug
reports against Jira clients); the others follow Jira's phrasing for the same family of
errors and are marked *assumed*, so a test that pins one knows how much it can trust it.
Anything the stand-in itself cannot do says ``stand-in:`` so it is never mistaken for Jira.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cibridge.demo.standins.server import Answer

JSON = "application/json;charset=UTF-8"

# observed (Jira Cloud, since August 2025)
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
# observed
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
COMMENT_NOT_VALID = "Comment body is not valid!"
NOT_ON_SCREEN = "Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."
NO_LINK_TYPE = "No issue link type with name '{name}' found."
VERSION_NOT_VALID = "Version name '{name}' is not valid"
UNAUTHENTICATED = "Client must be authenticated to access this resource."
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
# observed on Data Center when an ADF object is posted to v2
V2_NOT_A_STRING = (
    "Can not deserialize instance of java.lang.String out of START_OBJECT token\n at [Source: "
    "org.apache.catalina.connector.CoyoteInputStream@1b2c3d4e; line: 1, column: 2] (through "
    'reference chain: com.atlassian.jira.issue.fields.rest.json.beans.CommentJsonBean["body"])'
)
# assumed
TRANSITION_NOT_VALID = "Transition id '{id}' is not valid for this issue."
TRANSITION_MISSING = "Missing 'transition' identifier"
REQUIRED = "{name} is required."
COMMENT_EMPTY = "Comment body can not be empty!"
VERSION_EXISTS = "A version with this name already exists in this project."
VERSION_NAME_MISSING = "You must specify a valid version name"
NO_VERSION = "Could not find version for id '{id}'"
NO_PROJECT = "No project could be found with key '{key}'."
NO_PROJECT_ID = "No project could be found with id '{id}'."
PROPERTY_MISSING = "The property with key '{key}' does not exist."
PROPERTY_TOO_LONG = "The property value is too long. It cannot exceed 32768 characters."
PROPERTY_KEY_TOO_LONG = "The property key is too long. It cannot exceed 255 characters."
PROPERTY_EMPTY = "The property value must be a valid, non-empty JSON."
BULK_LIMIT = "Number of issue IDs or keys can't be more than 100."
BULK_EMPTY = "At least one issue ID or key must be provided."
GLOBAL_ID_TOO_LONG = "The global ID can't be longer than 255 characters."
CONFLICT = "The issue could not be updated due to a conflicting update. Try again."
RATE_LIMITED = "Rate limit exceeded."
FORBIDDEN = {
    "comment": "You do not have the permission to comment on this issue.",
    "edit": "You do not have permission to edit issues in this project.",
    "link": "You do not have the permission to link issues.",
    "transition": "You do not have permission to transition this issue.",
    "version": "You do not have permission to administer versions in this project.",
}
BAD_PAGE_CURSOR = "The provided next page token is invalid or expired."
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


def body(
    messages: list[str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, object]:
    return {"errorMessages": messages or [], "errors": errors or {}}


def answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Answer:
    """A JSON answer with the charset Jira names in its Content-Type."""
    return Answer(status, payload, {"Content-Type": JSON, **(headers or {})})


def messages(status: int, *texts: str) -> Answer:
    return answer(status, body(list(texts)))


def field_errors(errors: dict[str, str], status: int = 400) -> Answer:
    return answer(status, body(errors=errors))


def not_found() -> Answer:
    return messages(404, ISSUE_NOT_FOUND)


def unauthenticated(credentials_sent: bool) -> Answer:
    headers = {"WWW-Authenticate": 'OAuth realm="https%3A%2F%2Fyour-domain.atlassian.net"'}
    if credentials_sent:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    return answer(401, {"message": UNAUTHENTICATED, "status-code": 401}, headers)


def rate_limited(status: int, retry_after: int) -> Answer:
    # Whole seconds, rounded up: a client that waits until the reset never comes back early.
    reset = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=retry_after + 1)
    headers = {
        "Retry-After": str(retry_after),
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "RateLimit-Reason": "jira-burst-based",
    }
    return answer(status, body([RATE_LIMITED]), headers)


def stand_in(status: int, text: str) -> Answer:
    """The stand-in's own refusal (an unsupported JQL shape, a spec violation)."""
    return messages(status, f"stand-in: {text}")
