"""The gate's SVG chart: one panel per metric check with values, its bound, its failures."""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

from cibridge.gate.chart import MAX_POINTS, svg
from cibridge.gate.results import CheckResult, GateResult, Observation

NS = "{http://www.w3.org/2000/svg}"


def _check(
    name: str, values: list[float | None], limit: float | None = 0.5, kind: str = "metric"
) -> CheckResult:
    observations = [
        Observation(
            at=1000.0 + 10 * n,
            verdict="fail" if v is not None and limit is not None and v > limit else "pass",
            why="",
            value=v,
        )
        for n, v in enumerate(values)
    ]
    return CheckResult(
        name,
        kind,
        "q",
        "<= 0.5",
        "fail",
        "why",
        "rollback",  # type: ignore[arg-type]
        observations=observations,
        limit=limit,
    )


def _gate(*checks: CheckResult) -> GateResult:
    return GateResult(list(checks), "fail", "rollback", "why", deployed_at=990.0)


def test_one_panel_per_metric_check_with_its_bound_and_its_failures() -> None:
    drawn = svg(
        _gate(
            _check("p95", [0.1, 0.2, 0.9, None, math.nan]),
            _check("err", [0.0, 0.01]),
            _check("health", [1.0, 1.0], kind="http"),
        )
    )
    root = ET.fromstring(drawn)  # noqa: S314 - our own output
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 2  # the health check has no series
    assert len(lines[0].get("points", "").split()) == 3  # None and NaN are not drawn
    assert len(root.findall(f"{NS}line")) == 2  # each bound, dashed
    assert len(root.findall(f"{NS}circle")) == 1  # the one failed observation
    texts = [t.text for t in root.findall(f"{NS}text")]
    assert "p95 — fail (<= 0.5)" in texts and "+10s" in texts


def test_a_hostile_name_is_text_in_the_picture() -> None:
    drawn = svg(_gate(_check('</text></svg><script>alert("x")</script>', [1.0, 2.0])))
    root = ET.fromstring(drawn)  # still one well-formed document  # noqa: S314 - our own output
    assert root.find(f".//{NS}script") is None
    assert any("<script>" in (t.text or "") for t in root.findall(f"{NS}text"))


def test_nothing_to_draw_is_no_image_and_a_long_window_is_thinned() -> None:
    empty = ET.fromstring(svg(_gate(_check("one", [0.1]), _check("tcp", [1.0, 1.0], kind="tcp"))))  # noqa: S314 - our own output
    assert empty.findall(f"{NS}polyline") == []
    assert "nothing to draw" in (empty.findall(f"{NS}text")[0].text or "")
    root = ET.fromstring(svg(_gate(_check("long", [0.1] * 10_000, limit=None))))  # noqa: S314 - our own output
    (line,) = root.findall(f"{NS}polyline")
    assert len(line.get("points", "").split()) <= MAX_POINTS
    assert root.findall(f"{NS}line") == []  # no bound, no bound's line
