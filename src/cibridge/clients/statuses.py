"""Commit statuses: GitHub's and GitLab's, read and written the same way.

GitHub: ``GET {api}/repos/{repo}/commits/{sha}/statuses`` (newest first, paged by 100) and
``POST {api}/repos/{repo}/statuses/{sha}`` with ``{state, context, description,
target_url}``; a bearer token with ``statuses: write``. A context is case-insensitive.

GitLab: ``GET {api}/projects/:id/repository/commits/:sha/statuses?name=...&all=true`` and
``POST {api}/projects/:id/statuses/:sha`` with ``{state, name, description, target_url}``;
an API token (``GITLAB_TOKEN``, ``PRIVATE-TOKEN`` header).

A status is a record others can read and nobody can edit: written once, it stays on the
commit. Reading that fails raises; so does a refused write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from cibridge.clients.pipelines import GITHUB_HEADERS, service_message
from cibridge.core.errors import CibridgeError, failure
from cibridge.http.refusal import raise_for_refusal

if TYPE_CHECKING:
    from cibridge.http.transport import Response, Transport

PER_PAGE = 100
# Pages read before giving up: 5,000 statuses on one commit is not a commit cibridge can
# say anything certain about, and an unread page could hold the record.
MAX_PAGES = 50
GITHUB_HINTS = {
    401: "GitHub refused the token: pass github-token (or GITHUB_TOKEN) with a valid token",
    403: "the token may not read or write commit statuses: give the job "
    "`permissions: statuses: write`",
    404: "no such repository, or the token cannot see it",
    422: "GitHub refused the status (see its message)",
}
GITLAB_HINTS = {
    401: "GitLab refused the token: GITLAB_TOKEN must be an API token (api scope)",
    403: "the token's user may not write commit statuses (Developer role or higher)",
    404: "no such project or commit, or the token cannot see it",
}


@dataclass(frozen=True)
class Status:
    context: str  # GitHub's context, GitLab's name
    state: str
    description: str = ""
    target_url: str = ""


@dataclass(frozen=True)
class Place:
    """The commit statuses are read from and written to."""

    kind: str  # github | gitlab
    api_url: str
    project: str  # owner/repo, or the GitLab project id or path
    sha: str
    ref: str = ""  # GitLab: the status's ref (its pipeline's); "" lets GitLab pick

    def describe(self) -> str:
        return f"{self.kind}:{self.project}@{self.sha[:12]}"


class CommitStatuses:
    def __init__(self, transport: Transport, token: str) -> None:
        self.transport = transport
        self.token = token

    def find(self, place: Place, context: str, state: str) -> Status | None:
        """The newest status of ``context`` in ``state`` on the commit, or None when there is
        none. Raises when the service cannot be asked or cannot be read to the end."""
        wanted = context.casefold() if place.kind == "github" else context
        for page in range(1, MAX_PAGES + 1):
            listed = self._page(place, context, page)
            for item in listed:
                name = str(item.get("context") or item.get("name") or "")
                found = str(item.get("state") or item.get("status") or "")
                same = name.casefold() == wanted if place.kind == "github" else name == wanted
                if same and found == state:
                    return Status(
                        name,
                        found,
                        str(item.get("description") or ""),
                        str(item.get("target_url") or ""),
                    )
            if len(listed) < PER_PAGE:
                return None
        raise failure(
            f"{place.describe()} has more than {MAX_PAGES * PER_PAGE} commit statuses: "
            f"cannot tell whether {context} is among them",
            hint="nothing was dispatched; start the rollback by hand if it is needed",
        )

    def write(
        self, place: Place, context: str, state: str, description: str, target_url: str
    ) -> None:
        if place.kind == "github":
            url = f"{place.api_url}/repos/{place.project}/statuses/{quote(place.sha, safe='')}"
            body: dict[str, Any] = {"state": state, "context": context, "description": description}
        else:
            url = (
                f"{place.api_url}/projects/{quote(place.project, safe='')}/statuses/"
                f"{quote(place.sha, safe='')}"
            )
            body = {"state": state, "name": context, "description": description}
            if place.ref:
                body["ref"] = place.ref
        if target_url:
            body["target_url"] = target_url
        response = self._send("POST", url, place, json=body)
        self._refused(place, f"to write commit status {context} on {place.describe()}", response)

    def _page(self, place: Place, context: str, page: int) -> list[dict[str, Any]]:
        if place.kind == "github":
            url = (
                f"{place.api_url}/repos/{place.project}/commits/{quote(place.sha, safe='')}/"
                f"statuses?per_page={PER_PAGE}&page={page}"
            )
        else:
            query = urlencode({"name": context, "all": "true", "per_page": PER_PAGE, "page": page})
            url = (
                f"{place.api_url}/projects/{quote(place.project, safe='')}/repository/commits/"
                f"{quote(place.sha, safe='')}/statuses?{query}"
            )
        response = self._send("GET", url, place)
        self._refused(place, f"to list the commit statuses of {place.describe()}", response)
        data = response.json()
        if not isinstance(data, list):
            raise failure(
                f"{place.describe()}: the commit statuses answer is not a list: "
                f"{response.excerpt(200)}",
                hint=f"check the {place.kind} API URL",
            )
        return [item for item in data if isinstance(item, dict)]

    def _send(self, method: str, url: str, place: Place, *, json: Any = None) -> Response:
        if not self.token:
            raise CibridgeError(
                f"commit statuses on {place.describe()}: no token",
                hint="set GITHUB_TOKEN (github-token input) with statuses: write"
                if place.kind == "github"
                else "set GITLAB_TOKEN (an API token, api scope) as a masked CI/CD variable",
            )
        what = "GitHub commit statuses" if place.kind == "github" else "GitLab commit statuses"
        if place.kind == "github":
            from cibridge.http.auth import Bearer

            return self.transport.request(
                method, url, json=json, headers=GITHUB_HEADERS, auth=Bearer(self.token), what=what
            )
        headers = {"PRIVATE-TOKEN": self.token}
        return self.transport.request(method, url, json=json, headers=headers, what=what)

    @staticmethod
    def _refused(place: Place, doing: str, response: Response) -> None:
        service = "GitHub" if place.kind == "github" else "GitLab"
        hints = GITHUB_HINTS if place.kind == "github" else GITLAB_HINTS
        raise_for_refusal(
            response,
            f"{service} refused {doing}",
            hint=hints.get(response.status, ""),
            detail=service_message(response),
        )
