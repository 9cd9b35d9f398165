"""The Jira every stand-in starts from: four projects, a deployment workflow, a few issues.

``seed()`` builds fresh objects on each call, so no two StandIns share state. The data
is chosen to exercise the paths that matter: a project the account cannot see (SEC), one
where it may not transition (LOCK), a Done transition whose screen needs a resolution,
and labels / fix versions the seed's ``deployment_triggers`` rules look for.
"""

from __future__ import annotations

from cibridge.demo.standins.jira_state import Field, Issue, JiraState, Project, Transition, Version

# Status id and category, as GET /status would list them.
STATUSES: dict[str, tuple[str, str]] = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("10002", "indeterminate"),
    "Ready for Deployment": ("10003", "indeterminate"),
    "Deployed": ("10004", "done"),
    "Done": ("10001", "done"),
}
_CATEGORIES = {
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}
ISSUE_TYPES = {"Story": "10001", "Bug": "10004", "Task": "10002"}
RESOLUTIONS = ("Done", "Won't Do", "Duplicate", "Cannot Reproduce")
LINK_TYPES = {
    "Relates": ("relates to", "relates to"),
    "Blocks": ("is blocked by", "blocks"),
    "Cloners": ("is cloned by", "clones"),
    "Duplicate": ("is duplicated by", "duplicates"),
}
DEPLOYED_TO = Field(
    "customfield_10010",
    "Deployed to",
    {
        "type": "array",
        "items": "option",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multiselect",
        "customId": 10010,
    },
    allowed=("staging", "production"),
)


def status_json(name: str, base: str) -> dict[str, object]:
    status_id, category = STATUSES[name]
    category_id, colour, category_name = _CATEGORIES[category]
    return {
        "self": f"{base}/rest/api/3/status/{status_id}",
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{base}/rest/api/3/statuscategory/{category_id}",
            "id": category_id,
            "key": category,
            "colorName": colour,
            "name": category_name,
        },
    }


def _workflow() -> list[Transition]:
    resolution = Field(
        "resolution",
        "Resolution",
        {"type": "resolution", "system": "resolution"},
        required=True,
        allowed=RESOLUTIONS,
    )
    deployed_to = Field(
        DEPLOYED_TO.id, DEPLOYED_TO.name, dict(DEPLOYED_TO.schema), False, DEPLOYED_TO.allowed
    )
    return [
        Transition("11", "Start Progress", ("To Do",), "In Progress"),
        Transition("21", "Send to Review", ("In Progress",), "In Review"),
        Transition(
            "31",
            "Done",
            ("In Progress", "In Review", "Deployed"),
            "Done",
            [resolution, deployed_to],
        ),
        Transition("41", "Approve for Deployment", ("In Review",), "Ready for Deployment"),
        Transition("51", "Deploy", ("Ready for Deployment",), "Deployed"),
        Transition("61", "Stop Progress", ("In Progress",), "To Do"),
        Transition("71", "Reopen", ("Done",), "To Do"),
    ]


def seed() -> JiraState:
    projects = {
        "PROJ": Project(10000, "PROJ", "Checkout"),
        "OPS": Project(10001, "OPS", "Operations"),
        "SEC": Project(10002, "SEC", "Security", visible=False),
        "LOCK": Project(10003, "LOCK", "Locked Workflow", can_transition=False),
    }
    versions = {
        "10100": Version("10100", "v1.2.2", 10000, released=True, release_date="2024-04-02"),
        "10101": Version("10101", "v1.2.3", 10000),
        "10102": Version("10102", "2024.06", 10001),
    }
    rows = [
        ("PROJ-1", "Checkout fails on an empty cart", "Bug", "In Progress", ["backend"], []),
        ("PROJ-2", "Pay with Apple Pay", "Story", "To Do", ["release-candidate"], ["10101"]),
        ("PROJ-3", "Upgrade Postgres to 16", "Task", "In Review", [], []),
        (
            "PROJ-4",
            "Release notes for v1.2.3",
            "Story",
            "Ready for Deployment",
            ["deploy-to-prod"],
            ["10101"],
        ),
        ("PROJ-5", "Crash on login", "Bug", "Done", [], ["10100"]),
        ("OPS-1", "Rotate TLS certificates", "Task", "In Progress", [], []),
        ("OPS-2", "Scale the worker pool", "Story", "Ready for Deployment", ["deploy-to-prod"], []),
        ("OPS-3", "Alert on queue depth", "Bug", "Deployed", [], ["10102"]),
        ("SEC-1", "Embargoed vulnerability", "Bug", "In Progress", [], []),
        ("LOCK-1", "Frozen requirement", "Story", "In Progress", [], []),
    ]
    issues = {}
    for number, (key, summary, kind, status, labels, fixed) in enumerate(rows):
        issue = Issue(
            str(10001 + number), key, key.split("-")[0], summary, kind, status, labels, fixed
        )
        if status == "Done":
            issue.resolution = "Done"
        issues[key] = issue
    return JiraState(projects, issues, versions, _workflow())
