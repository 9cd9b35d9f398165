"""From a run's jobs to its summary: matrix jobs grouped, the verdict, the failures.

Grouping: a GitHub matrix job is named ``build (3.10)`` or ``build (3.10, ubuntu)``; a GitLab
``parallel: matrix:`` job ``build: [3.10]`` or ``build: [3.10, ubuntu]`` and a
``parallel: N`` job ``build 1/3``. Each group is named by the part before the matrix
values and reports its worst member. A job that is alone under its name stays itself.

Verdict: failure when any job failed (GitLab's ``allow_failure`` jobs excepted), else
cancelled when one was cancelled, else running when one has not finished, else success.
Skipped and manual jobs change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cibridge.clients.run_jobs import Job

# Worst first: the order a group's members and the run's jobs are judged in.
SEVERITY = ("failure", "cancelled", "running", "success", "manual", "skipped")
EMOJI = {
    "success": "✅",
    "failure": "❌",
    "cancelled": "⚪",
    "running": "🔄",
    "skipped": "⏭️",
    "manual": "⏸️",
}
_GITHUB_MATRIX = re.compile(r"(?P<name>.+?) \((?P<values>[^()]*)\)")
_GITLAB_MATRIX = re.compile(r"(?P<name>.+?): \[(?P<values>[^\[\]]*)\]")
_GITLAB_PARALLEL = re.compile(r"(?P<name>.+?) (?P<values>\d+/\d+)")


def group_name(name: str) -> tuple[str, str]:
    """(the group's name, the member's matrix values) of one job name."""
    for pattern in (_GITHUB_MATRIX, _GITLAB_MATRIX, _GITLAB_PARALLEL):
        found = pattern.fullmatch(name)
        if found:
            return found.group("name"), found.group("values")
    return name, ""


@dataclass
class Group:
    name: str
    status: str
    jobs: list[Job] = field(default_factory=list)

    @property
    def duration_seconds(self) -> float | None:
        """The longest member's: matrix jobs run side by side."""
        known = [j.duration_seconds for j in self.jobs if j.duration_seconds is not None]
        return max(known) if known else None

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for job in self.jobs:
            counted[job.status] = counted.get(job.status, 0) + 1
        return counted


@dataclass
class Summary:
    result: str  # success | failure | cancelled | running
    groups: list[Group]
    failed: list[Job]  # failed jobs (allow_failure ones included, flagged), in run order
    left_out: list[Job] = field(default_factory=list)  # the summary's own job
    calls: int = 0  # API requests the jobs cost

    @property
    def jobs(self) -> list[Job]:
        return [job for group in self.groups for job in group.jobs]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for job in self.jobs:
            counted[job.status] = counted.get(job.status, 0) + 1
        return counted


def worst(statuses: Iterable[str]) -> str:
    ranked = [s for s in statuses if s in SEVERITY]
    return min(ranked, key=SEVERITY.index) if ranked else "success"


def verdict(jobs: Sequence[Job]) -> str:
    counting = [j.status for j in jobs if not (j.status == "failure" and j.allow_failure)]
    return worst(s for s in counting if s not in ("skipped", "manual", "success"))


def summarise(jobs: Sequence[Job], own: Iterable[str] = (), own_id: str = "") -> Summary:
    """``own``: the names the summary's own job may have; ``own_id``: its id (GitLab's
    CI_JOB_ID), which wins when the run lists it."""
    names = {n for n in own if n}
    by_id = [j for j in jobs if own_id and j.id == own_id]
    left_out = by_id or [j for j in jobs if j.name in names]
    kept = [j for j in jobs if j not in left_out]
    groups: dict[str, Group] = {}
    for job in kept:
        name, _values = group_name(job.name)
        groups.setdefault(name, Group(name, "success")).jobs.append(job)
    for group in groups.values():
        group.status = worst(j.status for j in group.jobs)
    failed = [j for j in kept if j.status == "failure"]
    return Summary(verdict(kept), list(groups.values()), failed, left_out)


def model(
    summary: Summary, labels: dict[str, str], max_groups: int, max_failed: int
) -> dict[str, Any]:
    """What templates receive as ``summary``: plain data, already worded."""
    from cibridge.render.filters import duration

    def state(status: str) -> str:
        return labels.get(f"state_{status}", status)

    rows = []
    for group in summary.groups[:max_groups]:
        counts = group.counts()
        size = len(group.jobs)
        detail = ""
        if size > 1:
            parts = [f"{n} {state(s).lower()}" for s, n in counts.items() if s != group.status]
            detail = labels["matrix_jobs"].format(n=size) + (
                f" ({', '.join(parts)})" if parts else ""
            )
        member = group.jobs[0]
        _name, values = group_name(member.name)
        rows.append(
            {
                "name": group.name if size > 1 or not values else member.name,
                "status": group.status,
                "status_text": state(group.status),
                "emoji": EMOJI.get(group.status, "ℹ️"),
                "duration": duration(group.duration_seconds),
                "jobs": size,
                "detail": detail,
                "url": member.url if size == 1 else "",
            }
        )
    failed = []
    for job in summary.failed[:max_failed]:
        where = job.failed_step or job.stage
        failed.append(
            {
                "name": job.name,
                "where": where,
                "where_label": labels["failed_step"] if job.failed_step else labels["stage"],
                "reason": job.failure_reason,
                "url": job.failed_step_url or job.url,
                "allowed": job.allow_failure,
                "duration": duration(job.duration_seconds),
            }
        )
    counts = summary.counts()
    return {
        "result": summary.result,
        "result_text": state(summary.result),
        "emoji": EMOJI.get(summary.result, "ℹ️"),
        "groups": rows,
        "groups_more": max(0, len(summary.groups) - max_groups),
        "failed": failed,
        "failed_more": max(0, len(summary.failed) - max_failed),
        "total": len(summary.jobs),
        "counts": counts,
        "counts_text": ", ".join(f"{n} {state(s).lower()}" for s, n in counts.items()),
    }


def sample() -> Summary:
    """A run to preview summary templates with (``cibridge render --event summary``)."""
    base = "https://github.com/acme/checkout/actions/runs/987/job"
    jobs = [
        Job("1", "lint", "success", f"{base}/1", duration_seconds=42.0),
        Job("2", "build (3.11)", "success", f"{base}/2", duration_seconds=95.0),
        Job(
            "3",
            "build (3.12)",
            "failure",
            f"{base}/3",
            duration_seconds=101.0,
            failed_step="Run pytest",
            failed_step_url=f"{base}/3#step:4:1",
        ),
        Job("4", "deploy", "skipped", f"{base}/4"),
    ]
    return summarise(jobs)
