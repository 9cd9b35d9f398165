"""The configured checks with their placeholders filled in: queries escaped for PromQL (or
checked to be Datadog tag values),
URLs escaped for the part each value lands in, hosts and the rollback pipeline as plain
one-line text, ports checked as numbers.
Every problem is a usage error before anything is queried."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cibridge.core.errors import CibridgeError
from cibridge.gate import promql
from cibridge.gate.settings import GateSettings, TcpCheck


def render(settings: GateSettings, values: Mapping[str, Any]) -> GateSettings:
    metrics = tuple(
        replace(
            check,
            query=_query(check.query, check.source, values, f"{check.where} query"),
            baseline_query=_query(
                check.baseline_query, check.source, values, f"{check.where} baseline_query"
            )
            if check.baseline_query
            else "",
        )
        for check in settings.metrics
    )
    http = tuple(
        replace(
            check,
            url=promql.render_url(check.url, values, f"{check.where} url of {check.name!r}"),
            name=promql.render_text(check.name, values, f"{check.where} name"),
            headers={
                name: promql.render_text(value, values, f"{check.where} headers.{name}")
                for name, value in check.headers.items()
            },
        )
        for check in settings.http
    )
    tcp = tuple(_tcp(check, values) for check in settings.tcp)
    pipeline = settings.rollback.rollback_pipeline
    if pipeline:
        where = f"{settings.rollback.where} rollback_pipeline"
        pipeline = promql.render_text(pipeline, values, where)
    return GateSettings(metrics, http, tcp, replace(settings.rollback, rollback_pipeline=pipeline))


def _query(template: str, source: str, values: Mapping[str, Any], where: str) -> str:
    if source == "datadog":
        from cibridge.gate import datadog

        return datadog.render_query(template, values, where)
    return promql.render_query(template, values, where)


def _tcp(check: TcpCheck, values: Mapping[str, Any]) -> TcpCheck:
    host = promql.render_text(check.host, values, f"{check.where} host")
    port = promql.render_text(check.port, values, f"{check.where} port")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CibridgeError(
            f"{check.where}: port is {port[:20]!r}, not a port number",
            hint="pass a number from 1 to 65535 (e.g. --set service_port=8080)",
        )
    name = check.name
    if name == f"tcp {check.host}:{check.port}":
        name = f"tcp {host}:{port}"
    return replace(check, host=host, port=port, name=name)
