"""Jira Software's Deployments API in the stand-in: ``POST /rest/deployments/0.1/bulk``.

Requests are checked against Atlassian's Jira Software OpenAPI document (which writes the
path without ``/rest``). Only OAuth access tokens are accepted, as on Jira Cloud, where this
API serves OAuth integrations and Connect apps, never API tokens. A deployment replaces the
stored one with the same key only when its ``updateSequenceNumber`` is higher, and one that
names only unknown issues is rejected, as the API describes.
"""

from __future__ import annotations

import json
from typing import Any

from cibridge.demo.standins import jira_errors as err
from cibridge.demo.standins.jira_auth import TokenIssuer, header
from cibridge.demo.standins.jira_spec import spec_problems
from cibridge.demo.standins.jira_state import JiraState
from cibridge.demo.standins.server import Answer, Request

PATH = "/rest/deployments/0.1/bulk"
SPEC_PATH = "/deployments/0.1/bulk"


def _errors(status: int, *texts: str) -> Answer:
    # This API answers errors as a list of {message}, not Jira's errorMessages object.
    return err.answer(status, [{"message": text} for text in texts])


def submit(request: Request, state: JiraState, tokens: TokenIssuer) -> Answer:
    if request.method != "POST":
        return Answer(405, b"", {"Allow": "POST"})
    sent = header(request, "Authorization")
    if not (sent.startswith("Bearer ") and tokens.valid(sent[7:].strip())):
        return _errors(401, "Missing a JWT token, or token is invalid.")
    # The document describes only Connect apps' `JWT <token>`; OAuth integrations send
    # `Bearer <token>` (Atlassian's "Integrating Jira Software Cloud with on-premises tools"),
    # already checked above, so the body is what the document is asked about.
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    headers["Authorization"] = "JWT " + sent[7:].strip()
    problems = spec_problems(state.specs, "POST", SPEC_PATH, "", headers, request.raw, "software")
    if problems:
        return _errors(400, *problems)
    try:
        body = json.loads(request.raw)
    except ValueError as error:
        return _errors(400, f"Unexpected character in the JSON body: {error}")
    if not isinstance(body, dict) or not isinstance(body.get("deployments"), list):
        return _errors(400, "deployments: must be a list")
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    unknown: list[str] = []
    for deployment in body["deployments"]:
        key = {
            "pipelineId": deployment["pipeline"]["id"],
            "environmentId": deployment["environment"]["id"],
            "deploymentSequenceNumber": deployment["deploymentSequenceNumber"],
        }
        keys = _issue_keys(deployment)
        known = [k for k in keys if state.visible(k) is not None]
        unknown += [k for k in keys if k not in known]
        if not known:
            message = "The deployment is not associated with any known Jira issue."
            rejected.append({"key": key, "errors": [{"message": message}]})
            continue
        stored_key = (key["pipelineId"], key["environmentId"], key["deploymentSequenceNumber"])
        stored = state.deployments.get(stored_key)
        if stored is None or stored["updateSequenceNumber"] < deployment["updateSequenceNumber"]:
            state.deployments[stored_key] = deployment
        accepted.append(key)
    return err.answer(
        202,
        {
            "acceptedDeployments": accepted,
            "rejectedDeployments": rejected,
            "unknownIssueKeys": list(dict.fromkeys(unknown)),
        },
    )


def _issue_keys(deployment: dict[str, Any]) -> list[str]:
    keys = [str(k).upper() for k in deployment.get("issueKeys") or []]
    for association in deployment.get("associations") or []:
        if association.get("associationType") in ("issueKeys", "issueIdOrKeys"):
            keys += [str(k).upper() for k in association.get("values") or []]
    return list(dict.fromkeys(keys))
