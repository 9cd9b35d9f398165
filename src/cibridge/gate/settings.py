"""``post_deployment_validation`` as typed checks, every value checked before anything runs.

The seed's fields keep their meaning (``expected_value`` + ``tolerance``, ``max_value``,
``min_value``, ``duration``, ``failure_action``); the rest says how a window is observed
(``interval``, ``initial_delay``, ``fail_after``, ``critical``), what missing data means
(``on_no_data``, ``on_nan``), how series combine and what the pre-deploy baseline allows.
A bad value is a configuration error (exit 2) naming the file, line and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

# Re-exported: cli/commands/gate_cmd.py still imports both from here.
from cibridge.core.durations import seconds_text
from cibridge.core.errors import CibridgeError
from cibridge.gate.values import Bound as Bound
from cibridge.gate.values import Reader

if TYPE_CHECKING:
    from cibridge.config.loader import Config

SECTION = "post_deployment_validation"
Policy = Literal["pass", "fail", "inconclusive"]
Action = Literal["rollback", "fail", "alert", "warn", "ignore"]
ACTIONS: tuple[Action, ...] = ("rollback", "fail", "alert", "warn", "ignore")
POLICIES: tuple[Policy, ...] = ("pass", "fail", "inconclusive")
Source = Literal["prometheus", "datadog"]
SOURCES: tuple[Source, ...] = ("prometheus", "datadog")
AGGREGATIONS = ("avg", "sum", "min", "max", "last")  # of a Datadog check's whole buckets
# Actions whose failure fails the gate; the others only report (alert also sets action=alert).
BLOCKING = frozenset({"rollback", "fail"})
DEFAULT_INTERVAL = 30.0
MAX_POINTS = 11_000  # Prometheus refuses a range query with more points per series
NO_TOLERANCE = Bound(0.0)


@dataclass(frozen=True)
class Baseline:
    """Compare the post-deploy window with the same window before the deploy."""

    window: float  # seconds before --deployed-at
    max_increase: Bound | None = None  # relative to the baseline ("10%") or absolute
    max_decrease: Bound | None = None
    min_delta: float = 0.0  # absolute floor: smaller changes never fail


Direction = Literal["increase", "decrease", "either"]
DIRECTIONS: tuple[Direction, ...] = ("increase", "decrease", "either")
COMPARISON_KEYS = ("confidence", "tolerance", "direction", "min_samples")


@dataclass(frozen=True)
class Comparison:
    """Canary against baseline (``baseline_query``): a two-sided Mann–Whitney U test on the
    two samples of each observation window (:mod:`cibridge.gate.comparison`)."""

    confidence: float = 0.95  # fail only when p < 1 - confidence
    tolerance: float = 0.0  # allowed relative change of the median, 0.1 = 10%
    direction: Direction = "increase"  # which change is worse: errors and latency rise
    min_samples: int = 10  # finite points each side needs, else inconclusive

    def text(self) -> str:
        worse = {"increase": "an increase", "decrease": "a decrease", "either": "a change"}
        return (
            f"canary vs baseline: {worse[self.direction]} beyond {self.tolerance * 100:g}% "
            f"at {self.confidence * 100:g}% confidence"
        )


@dataclass(frozen=True)
class MetricCheck:
    name: str
    query: str
    where: str
    expected_value: float | None = None
    tolerance: Bound = NO_TOLERANCE
    max_value: float | None = None
    min_value: float | None = None
    duration: float = 0.0  # 0: one observation
    interval: float = DEFAULT_INTERVAL
    initial_delay: float = 0.0
    fail_after: int = 1  # consecutive failed observations that fail the check
    critical: bool = False  # the first failed observation fails the check and the gate
    failure_action: Action = "fail"
    on_no_data: Policy = "inconclusive"
    on_nan: Policy = "inconclusive"
    combine: Literal["all", "any"] = "all"
    baseline: Baseline | None = None
    source: Source = "prometheus"
    bucket: float = 0.0  # Datadog: the bucket size; 0 chooses one from the interval
    aggregation: str = "avg"  # Datadog: how the whole buckets of a window combine
    baseline_query: str = ""  # the old version's series: a canary comparison
    comparison: Comparison | None = None  # set whenever baseline_query is

    @property
    def observations(self) -> int:
        return int(self.duration // self.interval) + 1 if self.duration else 1

    def threshold(self) -> str:
        """The thresholds as a reader wants them in a table: ``<= 0.5``, ``1 ± 0``."""
        parts = []
        if self.expected_value is not None:
            parts.append(f"= {self.expected_value:g} ± {self.tolerance}")
        if self.min_value is not None:
            parts.append(f">= {self.min_value:g}")
        if self.max_value is not None:
            parts.append(f"<= {self.max_value:g}")
        if self.baseline is not None:
            parts.append(baseline_text(self.baseline))
        if self.comparison is not None:
            parts.append(self.comparison.text())
        return ", ".join(parts)


def baseline_text(baseline: Baseline) -> str:
    allowed = []
    if baseline.max_increase is not None:
        allowed.append(f"+{baseline.max_increase}")
    if baseline.max_decrease is not None:
        allowed.append(f"-{baseline.max_decrease}")
    floor = f", min_delta {baseline.min_delta:g}" if baseline.min_delta else ""
    return f"baseline {'/'.join(allowed)} vs {seconds_text(baseline.window)} before{floor}"


@dataclass(frozen=True)
class HttpCheck:
    name: str
    url: str
    where: str
    method: str = "GET"
    expected_status: tuple[int, ...] = (200,)
    timeout: float = 10.0
    retries: int = 0  # further attempts after the first
    interval: float = 1.0  # wait before the first retry; doubles each time
    contains: str = ""
    body_regex: str = ""
    json_path: str = ""
    json_value: Any = None  # expected value at json_path; None: the path must exist
    max_latency: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    failure_action: Action = "fail"
    critical: bool = False


@dataclass(frozen=True)
class TcpCheck:
    name: str
    host: str
    port: str  # a placeholder until rendered
    where: str
    timeout: float = 10.0
    retries: int = 0
    interval: float = 1.0
    failure_action: Action = "fail"
    critical: bool = False


@dataclass(frozen=True)
class RollbackPolicy:
    enabled: bool = False
    max_failures: int = 1  # failed observations of rollback checks that fire the rollback
    rollback_pipeline: str = ""
    where: str = ""


@dataclass(frozen=True)
class GateSettings:
    metrics: tuple[MetricCheck, ...] = ()
    http: tuple[HttpCheck, ...] = ()
    tcp: tuple[TcpCheck, ...] = ()
    rollback: RollbackPolicy = RollbackPolicy()

    @property
    def empty(self) -> bool:
        return not (self.metrics or self.http or self.tcp)


def load(config: Config) -> GateSettings:
    """The gate's checks as written (placeholders not rendered yet)."""
    if config.raw(SECTION) is None:
        return GateSettings()
    source = default_source(config)
    metrics = tuple(
        _metric(Reader(config, (SECTION, "metrics_validation", index)), index, source)
        for index in range(len(config.raw(SECTION, "metrics_validation") or []))
    )
    health = (SECTION, "health_check_validation")
    http = tuple(
        _http(Reader(config, (*health, "http_checks", index)))
        for index in range(len(config.raw(*health, "http_checks") or []))
    )
    tcp = tuple(
        _tcp(Reader(config, (*health, "tcp_checks", index)))
        for index in range(len(config.raw(*health, "tcp_checks") or []))
    )
    rollback = Reader(config, (SECTION, "rollback_policy"))
    policy = RollbackPolicy(
        # A rollback_policy block is on unless it says enabled: false.
        enabled=config.raw(SECTION, "rollback_policy") is not None
        and rollback.flag("enabled", True),
        max_failures=rollback.count("max_failures", 1, low=1),
        rollback_pipeline=rollback.text("rollback_pipeline"),
        where=rollback.where(),
    )
    names = [check.name for check in metrics] + [c.name for c in http] + [c.name for c in tcp]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CibridgeError(
            f"{config.where(SECTION)}: more than one check is named {', '.join(twice)}",
            hint="give each check its own name: reports and JUnit cases are keyed by it",
        )
    return GateSettings(metrics, http, tcp, policy)


def default_source(config: Config) -> Source:
    """Prometheus, unless Datadog is the only monitoring source configured (a section, or
    its URL / API key in the environment)."""
    from cibridge.config import variables
    from cibridge.http.integration import IntegrationSettings

    def found(name: str, key: str) -> bool:
        section = IntegrationSettings(name, "monitoring", config, config.env)
        return section.configured() or bool(config.env.get(variables.name(name, key)))

    if found("datadog", "api_key") and not found("prometheus", "url"):
        return "datadog"
    return "prometheus"


def _metric(read: Reader, index: int, default: Source) -> MetricCheck:
    name = read.text("name") or f"check {index + 1}"
    query = read.text("query").strip()
    chosen: Source = read.choice("source", SOURCES, default)  # type: ignore[assignment]
    if not query:
        language = "Datadog metrics" if chosen == "datadog" else "PromQL"
        raise read.error("query", "is missing", f"write the {language} query this check evaluates")
    duration = read.seconds("duration", 0.0)
    interval = read.seconds("interval", min(DEFAULT_INTERVAL, duration) or DEFAULT_INTERVAL)
    if interval <= 0:
        raise read.error("interval", "is 0", "write how often to evaluate, e.g. 30s")
    if chosen == "prometheus" and duration / interval > MAX_POINTS:
        raise read.error(
            "interval",
            f"gives {int(duration / interval)} observations over {seconds_text(duration)}",
            f"Prometheus answers at most {MAX_POINTS} points per series: use a longer interval",
        )
    baseline = _baseline(read) if read.raw("baseline") is not None else None
    baseline_query, comparison = _comparison(read)
    check = MetricCheck(
        name=name,
        query=query,
        where=read.where(),
        expected_value=read.number("expected_value"),
        tolerance=read.bound("tolerance") or Bound(0.0),
        max_value=read.number("max_value"),
        min_value=read.number("min_value"),
        duration=duration,
        interval=interval,
        initial_delay=read.seconds("initial_delay", 0.0),
        fail_after=read.count("fail_after", 1, low=1),
        critical=read.flag("critical"),
        failure_action=read.choice("failure_action", ACTIONS, "fail"),  # type: ignore[arg-type]
        on_no_data=read.choice("on_no_data", POLICIES, "inconclusive"),  # type: ignore[arg-type]
        on_nan=read.choice("on_nan", POLICIES, "inconclusive"),  # type: ignore[arg-type]
        combine=read.choice("combine", ("all", "any"), "all"),  # type: ignore[arg-type]
        baseline=baseline,
        source=chosen,
        baseline_query=baseline_query,
        comparison=comparison,
        **_datadog_fields(read, chosen, interval, comparison),
    )
    thresholds = (check.expected_value, check.max_value, check.min_value, baseline)
    if comparison is not None:
        _alone(read, name)
    elif all(item is None for item in thresholds):
        raise CibridgeError(
            f"{read.where()}: check {name!r} has no threshold",
            hint="add expected_value (+ tolerance), max_value, min_value, baseline or "
            "baseline_query",
        )
    low, high = check.min_value, check.max_value
    if low is not None and high is not None and low > high:
        raise read.error("min_value", f"{low:g} is above max_value {high:g}", "swap them")
    return check


def default_bucket(window: float) -> float:
    """A Datadog check's bucket when it names none: 10 s (the Agent's flush interval), or
    half the window when that is shorter, so a window always holds at least one whole
    bucket."""
    return max(1.0, min(10.0, window / 2))


def _datadog_fields(
    read: Reader, chosen: Source, interval: float, comparison: Comparison | None
) -> dict[str, Any]:
    if chosen != "datadog":
        for key in ("bucket", "aggregation"):
            if read.raw(key) is not None:
                raise read.error(key, "applies to Datadog checks only", "add source: datadog")
        return {}
    bucket = read.seconds("bucket", 0.0)
    if read.raw("bucket") is not None and not 0 < bucket <= interval / 2:
        raise read.error(
            "bucket",
            f"is {seconds_text(bucket)}; it must be more than 0 and at most half the "
            f"interval ({seconds_text(interval)})",
            "a window holds whole buckets only: use a shorter bucket or a longer interval",
        )
    aggregation = read.choice("aggregation", AGGREGATIONS, "avg")
    if comparison is not None and read.raw("aggregation") is not None:
        raise read.error(
            "aggregation",
            "does not apply to a comparison",
            "a comparison tests every whole bucket of the window: remove aggregation",
        )
    size = bucket or default_bucket(interval)
    # A window whose edges cut two buckets holds one whole bucket fewer than fit in it.
    whole = int(interval // size) - 1
    if comparison is not None and whole < comparison.min_samples:
        raise read.error(
            "interval",
            f"holds as few as {whole} whole bucket(s) of {seconds_text(size)}, fewer than "
            f"min_samples {comparison.min_samples}",
            f"a comparison tests each window's whole buckets: use an interval of at least "
            f"{seconds_text(size * (comparison.min_samples + 1))}, or a shorter bucket",
        )
    return {"bucket": bucket, "aggregation": aggregation}


# What a comparison check decides with instead: the U test on two samples, not a value.
_NOT_WITH_COMPARISON = (
    "expected_value",
    "tolerance",
    "max_value",
    "min_value",
    "baseline",
    "combine",
    "on_nan",
)


def _comparison(read: Reader) -> tuple[str, Comparison | None]:
    baseline_query = read.text("baseline_query").strip()
    raw = read.raw("comparison")
    if not baseline_query:
        if raw is not None:
            raise read.error(
                "comparison",
                "needs baseline_query",
                "write baseline_query: the same query for the old version's series",
            )
        return "", None
    if raw is None:
        return baseline_query, Comparison()
    if not isinstance(raw, dict):
        raise read.error(
            "comparison", f"is {raw!r}", "write comparison: {confidence: 0.95, tolerance: 10%}"
        )
    sub = Reader(read.config, (*read.path, "comparison"))
    # The schema refuses unknown keys when the file is loaded; a mapping built in code
    # (tests, the demo) gets the same answer here.
    unknown = sorted(str(key) for key in raw if key not in COMPARISON_KEYS)
    if unknown:
        raise sub.error(
            unknown[0], "is not a comparison setting", f"use {', '.join(COMPARISON_KEYS)}"
        )
    confidence = sub.number("confidence")
    if confidence is not None and not 0.5 < confidence < 1:
        raise sub.error(
            "confidence", f"is {confidence:g}", "write a level above 0.5 and below 1, e.g. 0.95"
        )
    tolerance = sub.bound("tolerance")
    return baseline_query, Comparison(
        confidence=0.95 if confidence is None else confidence,
        tolerance=tolerance.amount if tolerance is not None else 0.0,
        direction=sub.choice("direction", DIRECTIONS, "increase"),  # type: ignore[arg-type]
        min_samples=sub.count("min_samples", 10, low=3),
    )


def _alone(read: Reader, name: str) -> None:
    for key in _NOT_WITH_COMPARISON:
        if read.raw(key) is not None:
            hint = (
                f"a comparison check decides by the U test alone: move {key} to a check "
                f"of its own (another name than {name!r})"
            )
            if key == "tolerance":
                hint = "the allowed change of a comparison goes under comparison: {tolerance: 10%}"
            raise read.error(key, "cannot be combined with baseline_query", hint)


def _baseline(read: Reader) -> Baseline:
    value = read.raw("baseline")
    sub = Reader(read.config, (*read.path, "baseline"))
    if not isinstance(value, dict):
        raise read.error(
            "baseline", f"is {value!r}", "write baseline: {window: 30m, max_increase: 10%}"
        )
    window = sub.seconds("window", 0.0)
    if window <= 0:
        raise sub.error("window", "is missing", "write how far back to look, e.g. window: 30m")
    baseline = Baseline(
        window=window,
        max_increase=sub.bound("max_increase"),
        max_decrease=sub.bound("max_decrease"),
        min_delta=sub.number("min_delta") or 0.0,
    )
    if baseline.max_increase is None and baseline.max_decrease is None:
        raise sub.error(
            "max_increase", "is missing", "write max_increase: 10% (or max_decrease for drops)"
        )
    if baseline.min_delta < 0:
        raise sub.error("min_delta", "is negative", "write the smallest change that matters")
    return baseline


def _statuses(read: Reader) -> tuple[int, ...]:
    value = read.raw("expected_status")
    if value is None:
        return (200,)
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    statuses: list[int] = []
    for item in items:
        text = str(item).strip().lower()
        if re.fullmatch(r"[1-5]xx", text):
            start = int(text[0]) * 100
            statuses.extend(range(start, start + 100))
        elif re.fullmatch(r"[1-5]\d\d", text):
            statuses.append(int(text))
        else:
            raise read.error(
                "expected_status", f"has {item!r}", "write a status (200), a list or 2xx"
            )
    return tuple(statuses)


def shown_url(url: str) -> str:
    """A check's URL as reports show it: origin and path only. The query and the user info
    are where credentials travel (``?token=``, ``user:password@``), and reports are published."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[": the origin as core.urls reads it, never raising
        from cibridge.core.urls import origin

        return origin(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a placeholder ({{ service_port }}), shown as written until rendered
        port = ":" + parts.netloc.rpartition("@")[2].rpartition(":")[2]
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _url(read: Reader, method: str) -> str:
    """The check's URL with each ``${VAR}`` escaped for the part of the URL it lands in, as
    placeholders are (plan.render): a variable's value cannot change the host either."""
    from cibridge.config import encryption, loader
    from cibridge.core import redact, urls

    raw = read.config.raw(*read.path, "url")
    if not isinstance(raw, str) or raw.startswith(encryption.PREFIX):
        return read.text("url").strip()  # a whole encrypted URL is as its author wrote it
    where, env = read.where("url"), read.config.env
    label = read.text("name") or f"{method} {shown_url(raw.strip())}"
    url = urls.fill(
        raw.strip(),
        loader.VARIABLE,
        lambda match: loader.variable_value(match, where, env),
        f"{where}: url of {label!r}",
        lambda match: f"${{{match.group(1)}}}",
    )
    if url.startswith(encryption.PREFIX):
        url = encryption.decrypt(url, where, env)
    for part in loader.credentials_in(url):
        redact.register(part)
    return url


def _http(read: Reader) -> HttpCheck:
    method = read.text("method", "GET").upper()
    if method not in ("GET", "HEAD"):
        raise read.error("method", f"is {method!r}", "health checks read: use GET or HEAD")
    url = _url(read, method)
    if not url:
        raise read.error("url", "is missing", "write the URL to check, e.g. http://host/health")
    pattern = read.text("body_regex")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as error:
            raise read.error("body_regex", f"is not a valid regex: {error}", "") from None
    budget = read.raw("max_latency")
    from cibridge.config.loader import resolve_headers

    headers = resolve_headers(read.raw("headers"), read.where("headers"), read.config.env)
    return HttpCheck(
        name=read.text("name") or f"{method} {shown_url(url)}",
        url=url,
        where=read.where(),
        method=method,
        expected_status=_statuses(read),
        timeout=read.positive_seconds("timeout", 10.0),
        retries=read.count("retries", 0),
        interval=read.seconds("interval", 1.0),
        contains=read.text("contains"),
        body_regex=pattern,
        json_path=read.text("json_path"),
        json_value=read.raw("json_value"),
        max_latency=None if budget is None else read.seconds("max_latency", 0.0),
        headers=headers,
        failure_action=read.choice("failure_action", ACTIONS, "fail"),  # type: ignore[arg-type]
        critical=read.flag("critical"),
    )


def _tcp(read: Reader) -> TcpCheck:
    host = read.text("host").strip()
    port = read.text("port").strip()
    if not host or not port:
        missing = "host" if not host else "port"
        raise read.error(missing, "is missing", "write host and port of the service")
    return TcpCheck(
        name=read.text("name") or f"tcp {host}:{port}",
        host=host,
        port=port,
        where=read.where(),
        timeout=read.positive_seconds("timeout", 10.0),
        retries=read.count("retries", 0),
        interval=read.seconds("interval", 1.0),
        failure_action=read.choice("failure_action", ACTIONS, "fail"),  # type: ignore[arg-type]
        critical=read.flag("critical"),
    )
