"""The gate's charts as one SVG image: what a chat thread can show (Slack renders images,
not the step summary's Mermaid), attached with ``notify --attach``.

One panel per metric check with two or more values: the values over the window since the
deploy, the check's bound as a dashed line, and a red dot on each failed observation.
Standard library only; every text is XML-escaped, so a check named ``</svg><script>`` is
text in the picture.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from cibridge.core.durations import seconds_text

if TYPE_CHECKING:
    from cibridge.gate.results import CheckResult, GateResult

WIDTH, PANEL, PAD = 640, 170, 40
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "inconclusive": "#757575", "error": "#6a1b9a"}
MAX_POINTS = 240  # per panel: a week of one-minute observations is thinned to this


def _points(check: CheckResult) -> list[tuple[float, float, str]]:
    found = [
        (o.at, o.value, o.verdict)
        for o in check.observations
        if o.value is not None and math.isfinite(o.value)
    ]
    step = max(1, math.ceil(len(found) / MAX_POINTS))
    return [(at, float(v), verdict) for at, v, verdict in found[::step]]


def charted(result: GateResult) -> list[CheckResult]:
    return [c for c in result.checks if c.kind == "metric" and len(_points(c)) >= 2]


def _panel(check: CheckResult, top: float, deployed_at: float) -> list[str]:
    points = _points(check)
    values = [v for _at, v, _verdict in points]
    if check.limit is not None and math.isfinite(check.limit):
        values.append(check.limit)
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    first, last = points[0][0], points[-1][0]
    span = (last - first) or 1.0
    left, right, height = PAD, WIDTH - 16, PANEL - 60

    def x(at: float) -> float:
        return left + (at - first) / span * (right - left)

    def y(value: float) -> float:
        return top + 30 + (high - value) / (high - low) * height

    colour = COLOURS.get(check.verdict, "#757575")
    title = f"{check.name} — {check.verdict} ({check.threshold})"
    line = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v, _verdict in points)
    out = [
        f'<text x="{left}" y="{top + 18}" font-size="13" font-weight="bold" '
        f'fill="{colour}">{escape(title)}</text>',
        f'<rect x="{left}" y="{top + 30}" width="{right - left}" height="{height}" '
        'fill="none" stroke="#ddd"/>',
        f'<polyline points="{line}" fill="none" stroke="#1565c0" stroke-width="2"/>',
        f'<text x="4" y="{y(high) + 4:.1f}" font-size="10">{escape(f"{high:.4g}")}</text>',
        f'<text x="4" y="{y(low) + 4:.1f}" font-size="10">{escape(f"{low:.4g}")}</text>',
        f'<text x="{left}" y="{top + PANEL - 14}" font-size="10">'
        f"+{escape(seconds_text(round(first - deployed_at)))}</text>",
        f'<text x="{right}" y="{top + PANEL - 14}" font-size="10" text-anchor="end">'
        f"+{escape(seconds_text(round(last - deployed_at)))}</text>",
    ]
    if check.limit is not None and math.isfinite(check.limit):
        out.append(
            f'<line x1="{left}" y1="{y(check.limit):.1f}" x2="{right}" y2="{y(check.limit):.1f}" '
            'stroke="#c62828" stroke-dasharray="6 4"/>'
        )
    out += [
        f'<circle cx="{x(at):.1f}" cy="{y(v):.1f}" r="3" fill="#c62828"/>'
        for at, v, verdict in points
        if verdict == "fail"
    ]
    return out


def svg(result: GateResult) -> str:
    """The image; without a check that has a series to draw (health checks only, one
    observation), an image that says so, so a step that attaches it always finds it."""
    checks = charted(result)
    height = PANEL * len(checks) + 10 if checks else 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    for index, check in enumerate(checks):
        parts += _panel(check, index * PANEL, result.deployed_at)
    if not checks:
        verdict = f"gate {result.verdict}: no metric check observed twice, nothing to draw"
        parts.append(f'<text x="{PAD}" y="34" font-size="13">{escape(verdict)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
