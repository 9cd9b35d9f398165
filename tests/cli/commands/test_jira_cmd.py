"""`cibridge jira` end to end against a scripted Jira (pytest-httpserver) that checks every
request's shape: keys from the commits, one bulkfetch, transitions with fields, an ADF
comment once per run, an upserted remote link, per-issue verdicts."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import git

EMAIL, TOKEN = "ci@example.com", "jira-canary-token-77"
AUTH = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()


class FakeJira:
    """Just enough state for one run: statuses, comments with properties, remote links."""

    def __init__(self) -> None:
        self.status = {"PROJ-1": "In Progress", "PROJ-2": "Done", "PROJ-3": "In Progress"}
        self.comments: dict[str, list[dict[str, object]]] = {k: [] for k in self.status}
        self.links: dict[str, dict[str, object]] = {}
        self.transitioned: list[tuple[str, dict[str, object]]] = []

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != AUTH:
            return _json({"errorMessages": ["You are not authenticated."], "errors": {}}, 401)
        path = request.path.removeprefix("/rest/api/3/")
        body = request.get_json(silent=True)
        if path == "issue/bulkfetch":
            keys = body["issueIdsOrKeys"]
            assert len(keys) <= 100 and "summary" in body["fields"]
            found = [self._issue(k) for k in keys if k in self.status]
            errors = [{"issueIdsOrKeys": [k], "status": 404} for k in keys if k not in self.status]
            return _json({"issues": found, "issueErrors": errors})
        key, _, rest = path.removeprefix("issue/").partition("/")
        if rest == "transitions" and request.method == "GET":
            assert request.args.get("expand") == "transitions.fields"
            if key == "PROJ-3":
                return _json({"transitions": []})  # no permission
            done = {"required": True, "name": "Resolution", "schema": {"type": "resolution"}}
            return _json(
                {
                    "transitions": [
                        {
                            "id": "31",
                            "name": "Finish",
                            "to": {"name": "Done"},
                            "fields": {"resolution": done},
                        },
                        {"id": "21", "name": "Review", "to": {"name": "In Review"}, "fields": {}},
                    ]
                }
            )
        if rest == "transitions":
            if "resolution" not in body.get("fields", {}):
                return _json(
                    {"errorMessages": [], "errors": {"resolution": "Resolution is required."}}, 400
                )
            self.transitioned.append((key, body))
            self.status[key] = "Done"
            return Response(status=204)
        if rest.startswith("comment") and request.method == "GET":
            return _json({"comments": self.comments[key]})
        if rest == "comment":
            assert body["body"]["type"] == "doc" and body["body"]["version"] == 1
            self.comments[key].append(
                {"id": "1", "body": body["body"], "properties": body["properties"]}
            )
            return _json({"id": "1"}, 201)
        if rest == "remotelink":
            self.links[f"{key} {body['globalId']}"] = body["object"]
            return _json({"id": 1}, 201)
        return _json({"errorMessages": [f"unexpected {request.method} {request.path}"]}, 500)

    def _issue(self, key: str) -> dict[str, object]:
        fields = {
            "summary": f"Summary of {key}",
            "status": {"name": self.status[key]},
            "project": {"key": "PROJ", "id": "10000"},
            "issuetype": {"name": "Story"},
            "fixVersions": [],
            "labels": [],
        }
        return {"id": key.split("-")[1], "key": key, "fields": fields}


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for message in (
        "base",
        "proj-1 fix rounding",
        "PROJ-2 and PROJ-3; CVE-2024-1234",
        "PROJ-404 gone",
    ):
        (repo / "f").write_text(message)
        git(repo, "add", "f")
        git(repo, "commit", "-q", "-m", message)
    return repo


def test_jira_updates_each_issue_and_reruns_add_nothing(  # type: ignore[no-untyped-def]
    cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    jira = FakeJira()
    httpserver.expect_request(re.compile("/rest/.*")).respond_with_handler(jira.handle)
    repo = _repo(tmp_path)
    env = {
        "JIRA_BASE_URL": httpserver.url_for("/").rstrip("/"),
        "JIRA_USER_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_API_VERSION": "3",
        "CIBRIDGE_HTTP_RETRIES": "0",
    }
    argv = [
        "-C",
        str(repo),
        "jira",
        "--since",
        "HEAD~3",
        "--no-context",
        "--transition",
        "done",
        "--resolution",
        "Fixed",
        "--comment",
        "--environment",
        "production",
    ]
    result = cli(*argv, env=env)
    assert result.code == 1, result.all  # PROJ-3 cannot be transitioned
    assert jira.transitioned == [
        ("PROJ-1", {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Fixed"}}})
    ]
    assert "error: PROJ-3: Jira offers no transition" in result.all
    assert "Transition Issues permission" in result.all
    assert "PROJ-404" in result.all and "not found" in result.all  # reported, not fatal
    assert "CVE" not in json.dumps(jira.comments)
    assert [len(jira.comments[k]) for k in ("PROJ-1", "PROJ-2", "PROJ-3")] == [1, 1, 1]
    assert TOKEN not in result.all
    # a rerun of the same run and environment adds no second comment
    again = cli(*argv, env=env)
    assert [len(jira.comments[k]) for k in ("PROJ-1", "PROJ-2", "PROJ-3")] == [1, 1, 1]
    assert "already commented" in again.all
    assert "skipped: already Done" in again.all
