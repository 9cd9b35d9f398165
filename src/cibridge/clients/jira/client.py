"""A thin Jira REST client on the run's one HTTP session.

The calls ``cibridge jira`` and ``cibridge trigger`` make, in both API versions: Cloud
serves v3 (ADF bodies), Data Center v2 (wiki markup). Every non-2xx answer becomes a
:class:`JiraError` carrying Jira's own messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cibridge.clients.jira import jql
from cibridge.clients.jira.issue import FIELDS, Change, Issue, changes_in
from cibridge.clients.jira.jql import MAX_PAGES, PAGE, SearchCost
from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.core.untrusted import excerpt

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Response, Transport

BULK_LIMIT = 100  # keys per POST /issue/bulkfetch

HINTS = {
    401: "Jira did not accept the credentials: check JIRA_USER_EMAIL + JIRA_API_TOKEN (Cloud), "
    "JIRA_PAT (Data Center) or the OAuth client",
    403: "the Jira account lacks a permission for this (browse, transition, comment, edit, "
    "or administer versions in the project)",
    404: "not found, or the Jira account cannot see it",
    410: "Jira removed this endpoint; please report it, cibridge should not call it",
    429: "Jira kept rate-limiting after the retries; run again later or lower --concurrency",
}


# The only refusals of a key search that mean "no such issue" (Data Center refuses the whole
# JQL for one missing key); any other 400 is the lookup itself failing.
_MISSING_KEY = re.compile(
    r"An issue with key '([^']*)' does not exist for field 'key'\.?"
    r"|The issue key '([^']*)' for field 'key' is invalid\.?"
)
LOOKUP_HINT = (
    "Jira refused the lookup itself, not a key, so no issue was checked or changed; the "
    "message names the cause (a JQL restriction, a field or function this site lacks). If "
    "the site is Jira Cloud, set JIRA_API_VERSION=3"
)


class JiraError(CibridgeError):
    def __init__(
        self, message: str, status: int, hint: str = "", messages: Sequence[str] = ()
    ) -> None:
        super().__init__(message, exit_code=EXIT_FAILURE, hint=hint)
        self.status = status
        self.messages = tuple(messages)  # Jira's own errorMessages, as sent


def _messages(data: Any) -> list[str]:
    if isinstance(data, list):  # Jira Software's APIs answer a list of {message}
        return [str(m.get("message")) for m in data if isinstance(m, dict) and m.get("message")]
    if isinstance(data, dict):
        return [str(m) for m in data.get("errorMessages") or [] if m]
    return []


def error_text(response: Response) -> str:
    """Jira's ``errorMessages`` and ``errors`` as one line, else an excerpt of the body."""
    data = response.json()
    if isinstance(data, (dict, list)):
        parts = _messages(data)
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, dict):
            parts += [f"{field}: {message}" for field, message in errors.items()]
        if parts:
            return excerpt("; ".join(parts))
    return excerpt(response.text) or f"HTTP {response.status}"


class JiraClient:
    def __init__(
        self,
        transport: Transport | None,
        base_url: str,
        auth: Auth | None,
        api_version: int,
        dry_run: Callable[[str, str, Any], None] | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.api_version = api_version
        self.timeout = timeout
        # With a dry-run printer, reads are sent (they show what would change) and writes
        # are printed instead.
        self.dry_run = dry_run

    def api(self, path: str) -> str:
        return f"{self.base_url}/rest/api/{self.api_version}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        ok: Sequence[int] = (),
        read: bool | None = None,
        expect: type | None = None,
    ) -> Any:
        is_read = method == "GET" if read is None else read
        if self.dry_run is not None and not is_read:
            self.dry_run(method, url, json)
            return {}
        if self.transport is None:
            raise CibridgeError(f"Jira {what}: no transport (a dry run without Jira access)")
        response = self.transport.request(
            method, url, json=json, auth=self.auth, timeout=self.timeout, what=f"Jira {what}"
        )
        if response.ok or response.status in ok:
            data = response.json()
            if response.ok and expect is not None and not isinstance(data, expect):
                # A login page, a proxy's answer, or not Jira at all: never read as "no issues".
                raise JiraError(
                    f"Jira {what}: HTTP {response.status} but not the JSON Jira answers with "
                    f"({_shape(data, response)})",
                    response.status,
                    "check that JIRA_BASE_URL is the Jira site itself (no SSO login page, "
                    "no proxy in between)",
                )
            return data
        from cibridge.http.refusal import is_redirect, refusal

        detail = None if is_redirect(response) else error_text(response)
        refused = refusal(response, f"Jira {what}", detail=detail)
        assert refused is not None  # not ok, so refused
        messages = () if is_redirect(response) else _messages(response.json())
        raise JiraError(refused.message, response.status, HINTS.get(response.status, ""), messages)

    def deployment_type(self) -> str:
        """What ``GET /rest/api/2/serverInfo`` says the site is: "Cloud", "Server" or
        "DataCenter" ("" when the answer does not say). v2 answers on both kinds of site."""
        url = f"{self.base_url}/rest/api/2/serverInfo"
        data = self.call("GET", url, what="serverInfo", expect=dict)
        return str(data.get("deploymentType") or "")

    # -- issues -------------------------------------------------------------------------

    def issues(self, keys: Sequence[str]) -> tuple[dict[str, Issue], list[str]]:
        """Found issues by key, and the keys Jira does not know (or will not show)."""
        found: dict[str, Issue] = {}
        for start in range(0, len(keys), BULK_LIMIT):
            chunk = list(keys[start : start + BULK_LIMIT])
            for issue in self._fetch(chunk):
                found[issue.key.upper()] = issue
        missing = [key for key in keys if key.upper() not in found]
        return found, missing

    def _fetch(self, keys: list[str]) -> Iterator[Issue]:
        if self.api_version >= 3:
            body: dict[str, Any] = {"issueIdsOrKeys": keys, "fields": FIELDS}
            url = self.api("issue/bulkfetch")
            data = self.call("POST", url, what="bulkfetch", json=body, read=True, expect=dict)
            issues = _listed(data, "issues", "bulkfetch")
            _check_issue_errors(data)
        else:  # Data Center has no bulkfetch; its search takes a key list
            yield from self._search_keys(keys)
            return
        for item in issues:
            if isinstance(item, dict):
                yield Issue.parse(item)

    def _search_keys(self, keys: list[str]) -> list[Issue]:
        """The issues among ``keys``, by JQL. Data Center refuses the whole query when a key
        does not exist and names it: those keys are left out and the rest asked again."""
        wanted = list(keys)
        while wanted:
            try:
                return list(self.search(f"key in ({', '.join(map(jql.quote, wanted))})"))
            except JiraError as error:
                missing = _missing_keys(error, wanted)
                if not missing:
                    raise _lookup_failed(error, wanted) from None
                wanted = [key for key in wanted if key.upper() not in missing]
        return []

    def issue(self, key: str, *, properties: Sequence[str] = (), history: bool = False) -> Issue:
        """One issue as Jira has it now; with the named properties and its recent history
        (``expand=changelog``) when asked for."""
        query = f"fields={','.join(FIELDS)}"
        if properties:
            query += f"&properties={','.join(quote(p, safe='') for p in properties)}"
        if history:
            query += "&expand=changelog"
        data = self.call("GET", self.api(f"issue/{_key(key)}?{query}"), what=key, expect=dict)
        found = Issue.parse(data)
        if not found.key:
            raise JiraError(f"Jira {key}: the answer has no issue key", 200, "is this a Jira site?")
        return found

    # -- search and history: one path for both API versions ---------------------------
    #
    # Cloud: POST /rest/api/3/search/jql with nextPageToken (the old /search answers 410)
    # and the paged /issue/{key}/changelog. Data Center: POST /rest/api/2/search with
    # startAt, and expand=changelog, which lists the latest entries.

    def search(
        self,
        query: str,
        cost: SearchCost | None = None,
        *,
        properties: Sequence[str] = (),
        history: bool = False,
    ) -> Iterator[Issue]:
        """Every issue ``jql`` selects, with the named properties and, when asked, the recent
        history each answer carries."""
        cost = cost if cost is not None else SearchCost()
        token, start = "", 0
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"jql": query, "fields": list(FIELDS), "maxResults": PAGE}
            if properties:
                body["properties"] = list(properties)
            if self.api_version >= 3:
                if history:
                    body["expand"] = "changelog"
                if token:
                    body["nextPageToken"] = token
                url = self.api("search/jql")
            else:
                body["startAt"] = start
                if history:
                    body["expand"] = ["changelog"]
                url = self.api("search")
            cost.requests += 1
            data = self.call("POST", url, what="search", json=body, read=True, expect=dict)
            issues = data.get("issues") if isinstance(data, dict) else None
            if not isinstance(issues, list):
                raise JiraError("Jira search: the answer's 'issues' is not a list", 200)
            for item in issues:
                cost.issues += 1
                yield Issue.parse(item)
            if self.api_version >= 3:
                token = str(data.get("nextPageToken") or "")
                if data.get("isLast") is not False or not token:
                    return
            else:
                start += len(issues)
                total = data.get("total")
                if not issues or not isinstance(total, int) or start >= total:
                    return
        raise JiraError(
            f"Jira search: more than {MAX_PAGES * PAGE:,} issues match {query!r}",
            200,
            "narrow the rule (projects, issue types) or pass --poll-filter",
        )

    def changes(self, key: str, fields: tuple[str, ...]) -> list[Change]:
        """The changes to ``fields`` in ``key``'s history, oldest first."""
        return changes_in(list(self._histories(key)), fields)

    def _histories(self, key: str) -> Iterator[dict[str, Any]]:
        quoted = quote(key, safe="")
        if self.api_version < 3:
            url = self.api(f"issue/{quoted}?fields=status&expand=changelog")
            data = self.call("GET", url, what=f"{key} history", expect=dict)
            log = data.get("changelog") if isinstance(data, dict) else None
            entries = log.get("histories") if isinstance(log, dict) else None
            yield from (e for e in entries or [] if isinstance(e, dict))
            return
        start = 0
        for _ in range(MAX_PAGES):
            url = self.api(f"issue/{quoted}/changelog?startAt={start}&maxResults={PAGE}")
            data = self.call("GET", url, what=f"{key} history", expect=dict)
            values = data.get("values") if isinstance(data, dict) else None
            page = [v for v in values or [] if isinstance(v, dict)]
            yield from page
            if not page or data.get("isLast") is not False:
                return
            start += len(page)

    # -- transitions --------------------------------------------------------------------

    def transitions(self, key: str) -> list[dict[str, Any]]:
        url = self.api(f"issue/{_key(key)}/transitions?expand=transitions.fields")
        data = self.call("GET", url, what=f"{key} transitions", expect=dict)
        found = _listed(data, "transitions", f"{key} transitions")
        return [t for t in found if isinstance(t, dict)]

    def transition(self, key: str, transition_id: str, fields: Mapping[str, Any]) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            body["fields"] = dict(fields)
        self.call(
            "POST", self.api(f"issue/{_key(key)}/transitions"), what=f"{key} transition", json=body
        )

    # -- comments -----------------------------------------------------------------------

    def comments(self, key: str) -> list[dict[str, Any]]:
        url = self.api(
            f"issue/{_key(key)}/comment?maxResults=100&orderBy=-created&expand=properties"
        )
        data = self.call("GET", url, what=f"{key} comments", expect=dict)
        found = _listed(data, "comments", f"{key} comments")
        return [c for c in found if isinstance(c, dict)]

    def add_comment(self, key: str, body: Any, marker: Mapping[str, Any]) -> str:
        payload = {"body": body, "properties": [{"key": "cibridge", "value": dict(marker)}]}
        data = self.call(
            "POST", self.api(f"issue/{_key(key)}/comment"), what=f"{key} comment", json=payload
        )
        return str(data.get("id", "")) if isinstance(data, dict) else ""

    # -- links --------------------------------------------------------------------------

    def remote_link(self, key: str, global_id: str, url: str, title: str, summary: str) -> None:
        body = {
            "globalId": global_id[:255],
            "application": {"type": "cibridge", "name": "cibridge"},
            "relationship": "deployed by",
            "object": {"url": url, "title": title[:255], "summary": summary[:255]},
        }
        self.call(
            "POST", self.api(f"issue/{_key(key)}/remotelink"), what=f"{key} remote link", json=body
        )

    def issue_link(self, key: str, other: str, link_type: str) -> None:
        body = {
            "type": {"name": link_type},
            "inwardIssue": {"key": key},
            "outwardIssue": {"key": other},
        }
        self.call("POST", self.api("issueLink"), what=f"{key} link to {other}", json=body)

    # -- versions -----------------------------------------------------------------------

    def versions(self, project: str) -> list[dict[str, Any]]:
        data = self.call(
            "GET",
            self.api(f"project/{_key(project)}/versions"),
            what=f"{project} versions",
            expect=list,
        )
        return [v for v in data or [] if isinstance(v, dict)] if isinstance(data, list) else []

    def create_version(self, project_id: str, name: str) -> dict[str, Any]:
        body = {"name": name, "projectId": int(project_id) if project_id.isdigit() else project_id}
        data = self.call("POST", self.api("version"), what=f"create version {name}", json=body)
        return data if isinstance(data, dict) else {}

    def release_version(self, version_id: str, name: str, date: str) -> None:
        body = {"released": True, "releaseDate": date}
        self.call(
            "PUT",
            self.api(f"version/{quote(version_id, safe='')}"),
            what=f"release {name}",
            json=body,
        )

    def add_fix_version(self, key: str, name: str) -> None:
        body = {"update": {"fixVersions": [{"add": {"name": name}}]}}
        self.call("PUT", self.api(f"issue/{_key(key)}"), what=f"{key} fix version", json=body)

    # -- issue properties -------------------------------------------------------------------

    def property(self, key: str, name: str) -> Any:
        url = self.api(f"issue/{_key(key)}/properties/{quote(name, safe='')}")
        data = self.call("GET", url, what=f"{key} property {name}", ok=(404,))
        return data.get("value") if isinstance(data, dict) and "value" in data else None

    def set_property(self, key: str, name: str, value: Any) -> None:
        url = self.api(f"issue/{_key(key)}/properties/{quote(name, safe='')}")
        self.call("PUT", url, what=f"{key} property {name}", json=value)


def _missing_keys(error: JiraError, wanted: Sequence[str]) -> set[str]:
    """The keys of ``wanted`` a 400 says do not exist; empty unless every message says that
    of one of them (anything else is the lookup failing, not a key)."""
    if error.status != 400 or not error.messages:
        return set()
    asked = {key.upper() for key in wanted}
    named = set()
    for message in error.messages:
        matched = _MISSING_KEY.fullmatch(message.strip())
        key = (matched[1] or matched[2] or "").upper() if matched else ""
        if key not in asked:
            return set()
        named.add(key)
    return named


def _check_issue_errors(data: dict[str, Any]) -> None:
    """bulkfetch leaves out the issues it does not know and lists under ``issueErrors`` the
    ones it failed to return (by issue id, not key): with any there, a key left out may
    exist, so none can be called missing."""
    errors = [e for e in data.get("issueErrors") or [] if isinstance(e, dict)]
    if errors:
        detail = excerpt(str(errors[0].get("errorMessage") or "no message"))
        raise JiraError(
            f"Jira bulkfetch: {len(errors)} issue(s) could not be returned ({detail})",
            200,
            "Jira calls such failures retriable, and no issue was changed: run the step again",
        )


def _lookup_failed(error: JiraError, keys: Sequence[str]) -> JiraError:
    if error.status != 400:
        return error  # its own hint (credentials, permission, rate limit) says it best
    listed = ", ".join(keys[:5]) + (f" … and {len(keys) - 5} more" if len(keys) > 5 else "")
    return JiraError(
        f"Jira could not look up {listed}: {error.message}",
        error.status,
        LOOKUP_HINT,
        error.messages,
    )


def _shape(data: Any, response: Response) -> str:
    if data is None and response.body.strip():
        return f"not JSON: {response.excerpt(60)!r}"
    return f"a JSON {type(data).__name__}"


def _listed(data: Any, field: str, what: str) -> list[Any]:
    """``data[field]`` when it is a list; a JiraError naming the field when Jira's answer
    does not have that shape."""
    found = data.get(field, []) if isinstance(data, dict) else None
    if not isinstance(found, list):
        raise JiraError(
            f"Jira {what}: the answer's {field!r} is not a list", 200, "is this a Jira site?"
        )
    return found


def _key(key: str) -> str:
    return quote(key, safe="")
