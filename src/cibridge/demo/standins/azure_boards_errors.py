"""Azure DevOps' error answers, as the service sends them.

The body shape (``$id``, ``innerException``, ``message``, ``typeName``, ``typeKey``,
``errorCode``, ``eventId``) and the TF401232 text are Azure DevOps' own (the shape is in
every refusal quoted in MicrosoftDocs/vsts-rest-api-specs#704 and wangkanai/devops-mcp#48;
TF401232 as the issue's brief quotes it). TF401320's text is the one
bluebasher/WorkItemUpdater#48 quotes. TF26071 (the revision test failed), the duplicate
relation and the throttling answer (TF400733 with ``Retry-After`` and ``X-RateLimit-*``,
as Microsoft's "Rate and usage limits" page lists them) follow Microsoft's wording where
no recorded copy was found; tests/fixtures/azure-devops/SOURCE says which is which.
"""

from __future__ import annotations

from cibridge.demo.standins.server import Answer

_NAMESPACE = "Microsoft.TeamFoundation.WorkItemTracking.Server"
SIGN_IN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head>"
    b"<body>Sign in to your account</body></html>"
)


def body(
    message: str, type_key: str, type_name: str = "", event_id: int = 3200
) -> dict[str, object]:
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": f"{type_name or _NAMESPACE + '.' + type_key}, {_NAMESPACE}",
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": event_id,
    }


def missing(number: int | str) -> Answer:
    message = (
        f"TF401232: Work item {number} does not exist, or you do not have permissions to read it."
    )
    return Answer(404, body(message, "WorkItemUnauthorizedAccessException"))


def rule(field: str, codes: str) -> Answer:
    message = f"TF401320: Rule Error for field {field}. Error code: {codes}."
    return Answer(400, body(message, "RuleValidationException", event_id=3000))


def changed(number: int) -> Answer:
    message = (
        "TF26071: This work item has been changed by someone else since you opened it. "
        "You will need to refresh it and discard your changes."
    )
    return Answer(412, body(message, "WorkItemRevisionMismatchException"))


def link_exists(url: str) -> Answer:
    message = f"Relation already exists: {url}"
    return Answer(400, body(message, "WorkItemLinkAlreadyExistsException", event_id=3000))


def forbidden(number: int) -> Answer:
    message = (
        "TF237111: The current user does not have permissions to save work items under the "
        "specified area path."
    )
    return Answer(403, body(message, "WorkItemUnauthorizedAccessException"))


def invalid(problem: str) -> Answer:
    """A request the published description does not allow (what the service would refuse)."""
    return Answer(400, body(f"VS403403: {problem}", "VssServiceException", event_id=3000))


def version_out_of_range(version: str) -> Answer:
    message = (
        f"The requested REST API version of {version} is out of range for this server. The "
        "latest REST API version this server supports is 5.0."
    )
    return Answer(
        400,
        body(
            message,
            "VssVersionOutOfRangeException",
            "Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException",
        ),
    )


def throttled(retry_after: str, remaining: str = "0") -> Answer:
    message = (
        "TF400733: The request has been canceled: Request was blocked due to exceeding usage "
        "of resource 'ATCPU' in namespace 'User'."
    )
    headers = {
        "Retry-After": retry_after,
        "X-RateLimit-Resource": "ATCPU",
        "X-RateLimit-Delay": "1.5",
        "X-RateLimit-Limit": "200",
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": "1767225600",
    }
    return Answer(429, body(message, "RequestBlockedException"), headers)


def sign_in(status: int = 401) -> Answer:
    """What a PAT that is wrong gets: not JSON, an HTML sign-in page (401, or 203)."""
    return Answer(status, SIGN_IN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
