"""Matrix jobs grouped under their name, the run's verdict, its own job left out."""

from __future__ import annotations

import pytest

from cibridge.clients.run_jobs import Job
from cibridge.render.labels import for_locale
from cibridge.summary.groups import group_name, model, summarise, verdict


@pytest.mark.parametrize(
    ("name", "group", "values"),
    [
        ("build (3.10)", "build", "3.10"),
        ("build (3.10, ubuntu-latest)", "build", "3.10, ubuntu-latest"),
        ("build: [3.10]", "build", "3.10"),
        ("build: [3.10, alpine]", "build", "3.10, alpine"),
        ("rspec 3/8", "rspec", "3/8"),
        ("deploy (prod) now", "deploy (prod) now", ""),
        ("lint", "lint", ""),
    ],
)
def test_group_names(name: str, group: str, values: str) -> None:
    assert group_name(name) == (group, values)


def _job(name: str, status: str = "success", **kw: object) -> Job:
    return Job(str(abs(hash(name)) % 10_000), name, status, **kw)  # type: ignore[arg-type]


def test_verdict() -> None:
    assert verdict([_job("a"), _job("b", "skipped"), _job("c", "manual")]) == "success"
    assert verdict([_job("a", "cancelled"), _job("b", "failure")]) == "failure"
    assert verdict([_job("a", "failure", allow_failure=True)]) == "success"
    assert verdict([_job("a", "cancelled"), _job("b", "running")]) == "cancelled"
    assert verdict([_job("a", "running")]) == "running"
    assert verdict([]) == "success"


def test_a_matrix_is_one_group_with_its_worst_status_and_longest_duration() -> None:
    jobs = [
        _job("build (3.10)", duration_seconds=60.0),
        _job("build (3.11)", "failure", duration_seconds=90.0, failed_step="pytest"),
        _job("lint"),
    ]
    summary = summarise(jobs)
    (build, lint) = summary.groups
    assert (build.name, build.status, build.duration_seconds) == ("build", "failure", 90.0)
    assert lint.name == "lint" and summary.result == "failure"
    shown = model(summary, for_locale("en"), 25, 10)
    assert shown["groups"][0]["detail"] == "2 jobs (1 succeeded)"
    assert shown["failed"][0]["where"] == "pytest" and shown["failed"][0]["where_label"] == "step"


def test_one_matrix_member_keeps_its_full_name() -> None:
    shown = model(summarise([_job("build (3.12)")]), for_locale("en"), 25, 10)
    assert shown["groups"][0]["name"] == "build (3.12)"


def test_its_own_job_is_left_out_by_id_first_then_by_name() -> None:
    jobs = [Job("1", "summary", "running"), Job("2", "notify", "running"), Job("3", "a", "success")]
    assert [j.name for j in summarise(jobs, ["summary"], own_id="2").jobs] == ["summary", "a"]
    assert [j.name for j in summarise(jobs, ["summary"], own_id="99").jobs] == ["notify", "a"]
    assert summarise(jobs, ["summary"], own_id="2").result == "running"


def test_lists_are_cut_and_counted() -> None:
    jobs = [_job(f"j{n}", "failure") for n in range(40)]
    shown = model(summarise(jobs), for_locale("zh-CN"), 25, 10)
    assert len(shown["groups"]) == 25 and shown["groups_more"] == 15
    assert len(shown["failed"]) == 10 and shown["failed_more"] == 30
    assert shown["counts_text"] == "40 失败" and shown["result_text"] == "失败"
