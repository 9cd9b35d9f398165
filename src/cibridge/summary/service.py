"""The summary use case: read every job of the run and sum it up.

The entry point builds a :class:`SummaryRequest` (where the run is, which job is the
summary's own, the token); this module reads the jobs through
:class:`~cibridge.clients.run_jobs.RunJobs` and returns a :class:`SummaryResult`. Sending the
message is notify's, handed the summary by the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cibridge.core.errors import CibridgeError

if TYPE_CHECKING:
    from cibridge.clients.run_jobs import Printer, Run
    from cibridge.http.transport import Transport
    from cibridge.summary.groups import Summary


@dataclass
class SummaryRequest:
    run: Run
    token: str
    own_names: list[str] = field(default_factory=list)  # GitHub: the summary job's names
    own_id: str = ""  # GitLab: CI_JOB_ID
    dry_run: bool = False


@dataclass
class Dependencies:
    transport: Transport | None
    printer: Printer | None = None  # a dry run shows each read


@dataclass
class SummaryResult:
    summary: Summary
    read: bool  # the jobs were read (a dry run without a token only shows the requests)
    note: str = ""


def run(request: SummaryRequest, deps: Dependencies) -> SummaryResult:
    from cibridge.clients.run_jobs import RunJobs
    from cibridge.summary.groups import summarise

    place = request.run
    missing = [
        what
        for what, value in (("the API URL", place.api_url), ("the project", place.project))
        if not value
    ] + (["the run id"] if not place.run_id else [])
    if missing:
        raise CibridgeError(
            f"summary: {', '.join(missing)} of this run is not known",
            hint="run `cibridge summary` inside the GitHub workflow run or GitLab pipeline it "
            "sums up (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID / CI_API_V4_URL, "
            "CI_PROJECT_ID, CI_PIPELINE_ID)",
        )
    if request.dry_run and not request.token:
        for url in place.first_pages():
            if deps.printer is not None:
                deps.printer("GET", url)
        note = "dry run without a token: the jobs were not read, the message lists none"
        return SummaryResult(summarise([]), read=False, note=note)
    reader = RunJobs(deps.transport, request.token, deps.printer)
    found = reader.read(place)
    summary = summarise(found.jobs, request.own_names, request.own_id)
    summary.calls = found.calls
    return SummaryResult(summary, read=True)
