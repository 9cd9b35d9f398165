"""NATS JetStream: each event published with an acknowledgement and ``Nats-Msg-Id`` set to
its id (the stream drops a copy within its duplicate window), the CloudEvents context in
``ce-*`` headers and the CDEvent as the body (the CloudEvents NATS binding's binary
mode). The stream is created over the subject when it does not exist, unless
``create_stream: false`` says it must. The client is nats-py (the ``nats`` extra)."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cibridge.config import variables
from cibridge.context.platforms import detect
from cibridge.core.errors import CibridgeError
from cibridge.events.transports import Refusal
from cibridge.http.integration import IntegrationSettings

if TYPE_CHECKING:
    from cibridge.config.loader import Config
    from cibridge.events.model import Event

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_SUBJECT = "cdevents"
DEFAULT_STREAM = "CDEVENTS"
_PLACEHOLDER = re.compile(r"\{(repository|type|platform)\}")
_NOT_IN_TOKEN = re.compile(r"[\s.*>]+")


@dataclass
class NatsSink:
    url: str
    subject: str = DEFAULT_SUBJECT  # a prefix, or a template with {repository} {type} {platform}
    stream: str = DEFAULT_STREAM
    create_stream: bool = True
    repository: str = ""
    platform: str = ""
    token: str = ""
    user: str = ""
    password: str = ""
    credentials_file: str = ""
    ca_file: str = ""
    name: str = "nats"

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str]) -> NatsSink:
        found = IntegrationSettings("nats", "messaging", config, env)
        subject = str(found.value("subject", "", DEFAULT_SUBJECT))
        where = found.where("subject")
        fixed = subject.split(".", 1)[0]
        if not fixed or "{" in fixed:
            raise CibridgeError(
                f"integration_configs.messaging.nats.subject ({where}) must start with a fixed "
                "token",
                hint="e.g. cdevents.{repository}.{type}: the stream listens on cdevents.>",
            )
        unknown = set(re.findall(r"\{([^}]*)\}", subject)) - {"repository", "type", "platform"}
        if unknown:
            raise CibridgeError(
                f"integration_configs.messaging.nats.subject ({where}) has "
                f"{{{sorted(unknown)[0]}}}",
                hint="the placeholders are {repository}, {type} and {platform}",
            )
        create = found.value("create_stream", "", True)
        if not isinstance(create, bool):
            raise CibridgeError(
                f"integration_configs.messaging.nats.create_stream ({found.where('create_stream')})"
                " is true or false"
            )
        return cls(
            url=str(found.value("url", variables.name("nats", "url"), DEFAULT_URL)),
            subject=subject,
            stream=str(found.value("stream", "", DEFAULT_STREAM)),
            create_stream=create,
            repository=_repository(env),
            platform=detect(env).name,
            token=found.secret("token", variables.name("nats", "token")) or "",
            user=str(found.value("user", variables.name("nats", "user"), "")),
            password=found.secret("password", variables.name("nats", "password")) or "",
            credentials_file=str(
                found.value("credentials_file", variables.name("nats", "credentials_file"), "")
            ),
            ca_file=str(found.value("ca_file", "", "")),
        )

    def subject_for(self, event: Event) -> str:
        values = {
            "repository": self.repository or "unknown",
            "type": event.type,
            "platform": self.platform,
        }
        if not _PLACEHOLDER.search(self.subject):
            return f"{self.subject}.{event.type}"
        return _PLACEHOLDER.sub(
            lambda m: (
                values[m.group(1)]
                if m.group(1) == "type"
                else _NOT_IN_TOKEN.sub("_", values[m.group(1)])
            ),
            self.subject,
        )

    def stream_subjects(self) -> list[str]:
        tokens = []
        for token in self.subject.split("."):
            if "{" in token:
                break
            tokens.append(token)
        return [".".join([*tokens, ">"])]

    def headers(self, event: Event) -> dict[str, str]:
        headers = {f"ce-{k}": v for k, v in event.cloudevent_attributes().items()}
        headers["Nats-Msg-Id"] = event.id
        headers["content-type"] = "application/json"
        return headers

    def describe(self, event: Event) -> str:
        return (
            f"publish to NATS JetStream stream {self.stream} at {self.url}, subject "
            f"{self.subject_for(event)}, Nats-Msg-Id {event.id}"
        )

    def send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        from cibridge.config.on_demand import require_nats

        try:
            require_nats()
        except CibridgeError as error:
            return [Refusal(str(error), final=True)] * len(events)
        try:
            return asyncio.run(asyncio.wait_for(self._send(events, budget), budget + 1))
        except (asyncio.TimeoutError, TimeoutError):
            return [Refusal(f"NATS at {self.url}: no answer within {budget:.0f}s")] * len(events)
        except _Final as error:
            return [Refusal(str(error), final=True)] * len(events)
        except Exception as error:  # the client raises many unrelated types: each is a refusal
            return [Refusal(f"NATS at {self.url}: {_said(error)}")] * len(events)

    async def _send(self, events: Sequence[Event], budget: float) -> list[Refusal | None]:
        import nats
        from nats.js.errors import NotFoundError

        deadline = time.monotonic() + budget
        client = await nats.connect(**self.options(budget))
        try:
            js = client.jetstream(timeout=max(1.0, budget / 2))
            try:
                await js.stream_info(self.stream)
            except NotFoundError:
                if not self.create_stream:
                    raise _Final(
                        f"NATS: the stream {self.stream} does not exist (create_stream: false)"
                    ) from None
                await js.add_stream(name=self.stream, subjects=self.stream_subjects())
            answers: list[Refusal | None] = []
            for event in events:
                left = deadline - time.monotonic()
                if left <= 0:
                    answers.append(Refusal("no time left to publish it"))
                    continue
                try:
                    await js.publish(
                        self.subject_for(event),
                        event.json(),
                        timeout=max(0.5, left),
                        stream=self.stream,
                        headers=self.headers(event),
                    )
                except Exception as error:
                    answers.append(Refusal(f"NATS stream {self.stream}: {_said(error)}"))
                else:
                    answers.append(None)
            return answers
        finally:
            await client.close()

    def options(self, budget: float) -> dict[str, Any]:
        async def quiet(*_args: object) -> None:
            """nats-py logs every connection error itself; the refusal says it once."""

        options: dict[str, Any] = {
            "servers": [self.url],
            "connect_timeout": max(1.0, min(5.0, budget)),
            "allow_reconnect": False,
            "max_reconnect_attempts": 0,
            "error_cb": quiet,
            "disconnected_cb": quiet,
            "closed_cb": quiet,
        }
        if self.token:
            options["token"] = self.token
        if self.user:
            options["user"], options["password"] = self.user, self.password
        if self.credentials_file:
            options["user_credentials"] = self.credentials_file
        if self.ca_file or self.url.startswith("tls://"):
            context = ssl.create_default_context(cafile=self.ca_file or None)
            options["tls"] = context
        return options


def _repository(env: Mapping[str, str]) -> str:
    """The {repository} of a subject, from what each platform names it (no git read)."""
    for name in ("GITHUB_REPOSITORY", "CI_PROJECT_PATH", "BUILD_REPOSITORY_NAME"):
        if env.get(name):
            return env[name]
    return ""


class _Final(Exception):
    pass


def _said(error: BaseException) -> str:
    from cibridge.core.untrusted import excerpt

    text = str(error) or type(error).__name__
    if "no responders" in text.lower():
        return "no stream takes this subject (no responders): check the stream's subjects"
    if "authorization" in text.lower():
        return f"{excerpt(text)}: check the token, user and password or credentials file"
    return excerpt(text)
