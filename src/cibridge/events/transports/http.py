"""The CloudEvents HTTP binding: one POST per event, binary mode (the CloudEvents context in
``ce-*`` headers, the CDEvent as the JSON body, as the CDEvents binding's example shows)
or structured mode (``application/cloudevents+json``, the CDEvent as ``data``); for
Knative brokers, CDviz and any webhook sink. With a signing secret each body is signed
like cibridge's webhooks (``X-Cibridge-Signature-256: sha256=<hex>``)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.core.errors import CibridgeError
from cibridge.events.transports import Refusal
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.events.model import Event
    from cibridge.http.transport import Transport

SIGNATURE_HEADER = "X-Cibridge-Signature-256"
MODES = ("binary", "structured")
# Answers that say the event itself is refused: sending it again cannot help.
FINAL = frozenset({400, 401, 403, 404, 405, 409, 413, 415, 422, 501})


@dataclass
class HttpSink:
    url: str
    mode: str = "binary"
    secret: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    name: str = "http"
    _http: Transport | None = None

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str]) -> HttpSink:
        from cibridge.config.loader import resolve_headers
        from cibridge.core.urls import ensure_url

        found = IntegrationSettings("http", "messaging", config, env)
        url_variable = variables.name("events", "http_url")
        url = found.value("url", url_variable)
        if not url:
            raise CibridgeError(
                "events: the http transport has no URL",
                hint=f"set url under integration_configs.messaging.http, or {url_variable}",
            )
        where = found.where("url", url_variable)
        mode = str(found.value("mode", "", "binary"))
        if mode not in MODES:
            raise CibridgeError(
                f"integration_configs.messaging.http.mode ({found.where('mode')}) is {mode!r}",
                hint="binary (the default) or structured",
            )
        headers = resolve_headers(found.value("headers"), found.where("headers"), env)
        return cls(
            url=ensure_url(str(url), f"events http url ({where})"),
            mode=mode,
            secret=found.secret("secret", variables.name("events", "http_secret")) or "",
            headers=headers,
            env=env,
        )

    def request(self, event: Event) -> tuple[dict[str, str], bytes]:
        body = event.json()
        headers = dict(self.headers)
        if self.mode == "binary":
            for key, value in event.cloudevent_attributes().items():
                headers[f"ce-{key}"] = value
            headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            envelope: dict[str, Any] = {
                **event.cloudevent_attributes(),
                "datacontenttype": "application/json",
            }
            envelope["data"] = event.as_cdevent()
            body = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()
            headers["Content-Type"] = "application/cloudevents+json; charset=utf-8"
        if self.secret:
            from cibridge.core.signing import sign

            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        return headers, body

    def describe(self, event: Event) -> str:
        headers, body = self.request(event)
        shown = ", ".join(f"{k}: {v}" for k, v in headers.items() if k != SIGNATURE_HEADER)
        return f"POST {self.url} ({shown}; {len(body)} bytes)"

    def send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        from cibridge.http.transport import HttpSettings, Transport

        # One try per call: the publisher does the retries, within its budget.
        settings = HttpSettings.from_env(self.env)
        deadline = time.monotonic() + budget
        answers: list[Refusal | None] = []
        with Transport(
            HttpSettings(
                retries=0,
                connect_timeout=min(settings.connect_timeout, budget),
                read_timeout=min(settings.read_timeout, budget),
                deadline=min(settings.deadline, budget),
                ca_bundle=settings.ca_bundle,
                proxies=settings.proxies,
                no_proxy=settings.no_proxy,
            )
        ) as http:
            for event in events:
                if time.monotonic() > deadline:
                    answers.append(Refusal("no time left to send it"))
                    continue
                answers.append(self._post(http, event))
        return answers

    def _post(self, http: Transport, event: Event) -> Refusal | None:
        headers, body = self.request(event)
        try:
            answer = http.request(
                "POST", self.url, data=body, headers=headers, what="events http sink"
            )
        except CibridgeError as error:
            return Refusal(str(error))
        if 200 <= answer.status < 300:
            return None
        from cibridge.core.untrusted import excerpt

        said = excerpt(answer.text) if answer.body else ""
        reason = f"HTTP {answer.status}" + (f": {said}" if said else "")
        # A redirect is not followed for a POST: the URL is wrong, and stays wrong.
        return Refusal(reason, final=answer.status in FINAL or 300 <= answer.status < 400)
