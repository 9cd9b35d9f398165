"""The notify use case: render a message per provider and deliver it to each target.

Entry points (CLI, action, demo) build a :class:`NotifyRequest`; this module neither
parses arguments nor reads the process environment. One target's failure, of any kind,
is that target's result; the others are still rendered and sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.context.job_status import NOTIFY
from cibridge.context.job_status import read as read_status
from cibridge.core.errors import BUG_HINT, EXIT_BUG, EXIT_FAILURE, EXIT_OK, CibridgeError
from cibridge.notify.message import KINDS, STATUSES

if TYPE_CHECKING:
    from cibridge.clients.attachments import Attachment
    from cibridge.clients.smtp import Mail
    from cibridge.config.loader import Config
    from cibridge.context.model import Context
    from cibridge.http.transport import Transport
    from cibridge.notify.attachments import AttachResult
    from cibridge.notify.providers import Delivery, Provider, Recalled, SendOptions
    from cibridge.notify.settings import ProviderSettings

# Where a platform's job status comes from, and what to do when it is not known.
STATUS_FIX = {
    "github": "pass `status: ${{ job.status }}` to the notify step: inside an action "
    "job.status is the action's own status, not the job's (actions/runner#1682)",
    "gitlab": "pass --status, or run cibridge in after_script, where GitLab sets "
    "CI_JOB_STATUS (the notify component does this for you)",
    "azure-pipelines": "pass --status, or run cibridge in a script step of the job, where "
    "Azure Pipelines sets AGENT_JOBSTATUS",
    "local": "pass --status success|failure|cancelled|running",
}
# What a message remembers besides its --set values: context a later step may not know
# (an environment named by CIBRIDGE_ENVIRONMENT in the deploy step only, say).
KEPT_CONTEXT = ("environment", "environment_url", "version", "started_at")
# Never taken from a message read back: the run's own facts, or structures templates read.
NOT_KEPT = frozenset(
    {"status", "commits", "pull_request", "message", "t", "msgtype", "duration_seconds"}
)


@dataclass(frozen=True)
class Placement:
    """One provider's message placed in a release's thread, with its stage remembered."""

    channel: str
    thread: str
    broadcast: bool = False  # also shown in the channel
    remember: Mapping[str, str] = field(default_factory=dict)


@dataclass
class NotifyRequest:
    targets: list[str]
    event: str = "build"
    status: str = ""  # empty: the job's status as the platform reports it
    templates: Mapping[str, str] = field(default_factory=dict)  # provider or "*" -> template
    channels: list[str] = field(default_factory=list)
    values: Mapping[str, str] = field(default_factory=dict)  # --set
    update: str | None = None
    thread: str | None = None
    locale: str | None = None
    mention: str | None = None
    fail_on_error: bool | None = None  # None: notify.fail_on_error in the config, else true
    dry_run: bool = False
    # Structured template values another command's result hands over (summary: the jobs);
    # --set values still win. Never remembered in a message's metadata.
    data: Mapping[str, Any] = field(default_factory=dict)
    # --release: where one provider's message goes instead (Slack: the release's thread).
    placed: Mapping[str, Placement] = field(default_factory=dict)
    attach: list[str] = field(default_factory=list)  # --attach: files for the message's thread
    workspace: Path | None = None  # where --attach paths must stay; None: the current directory


@dataclass
class TargetResult:
    provider: str
    label: str
    ok: bool
    detail: str = ""
    message_id: str = ""
    channel_id: str = ""
    exit_code: int = EXIT_OK
    preview: dict[str, Any] | None = None  # the request a dry run would have sent
    warning: str = ""  # delivered, but not all as asked (an update that kept nothing)


@dataclass
class NotifyResult:
    status: str
    fail_on_error: bool
    targets: list[TargetResult]
    attachments: list[AttachResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = [t.exit_code for t in self.targets] + [a.exit_code for a in self.attachments]
        worst = max(codes, default=EXIT_OK)
        if worst == EXIT_FAILURE and not self.fail_on_error:
            return EXIT_OK
        return worst


@dataclass
class Dependencies:
    """What the use case needs from the run, handed down by the entry point."""

    config: Config
    context: Context
    env: Mapping[str, str]
    templates_dir: Path
    transport: Transport | None = None  # None for dry runs: nothing is sent


def normalise_status(value: str) -> str:
    status = read_status(value)
    if status is None:
        raise CibridgeError(f"status {value!r} is not one of {', '.join(STATUSES)}")
    return NOTIFY[status]


def job_status(request: NotifyRequest, context: Context) -> str:
    """The status the message reports: stated, or observed by the platform; never guessed."""
    if request.status:
        return normalise_status(request.status)
    if context.status:
        return normalise_status(context.status)
    raise CibridgeError(
        "the job's status is not known, so the message cannot say how the job ended",
        hint=STATUS_FIX.get(context.platform, STATUS_FIX["local"]),
    )


def run(request: NotifyRequest, deps: Dependencies) -> NotifyResult:
    if request.event not in KINDS:
        raise CibridgeError(f"event {request.event!r} is not one of {', '.join(KINDS)}")
    targets = request.targets or list(deps.config.value("notify", "to") or [])
    if not targets:
        raise CibridgeError(
            "no provider to notify", hint="pass --to slack (repeatable) or set notify.to in config"
        )
    status = job_status(request, deps.context)
    deps.context.status = status
    fail_on_error = request.fail_on_error
    if fail_on_error is None:
        fail_on_error = deps.config.value("notify", "fail_on_error") is not False
    from cibridge.notify import attachments

    files, attached = attachments.load(request.attach, request.workspace, deps.config)
    results = [
        r
        for name in dict.fromkeys(targets)
        for r in _deliver(request, deps, name, status, files, attached)
    ]
    return NotifyResult(status, fail_on_error, results, attached)


def _failed(name: str, label: str, error: Exception) -> TargetResult:
    if isinstance(error, CibridgeError):
        return TargetResult(name, label, False, str(error), exit_code=error.exit_code)
    detail = f"{label}: internal error: {type(error).__name__}: {error}\n  hint: {BUG_HINT}"
    return TargetResult(name, label, False, detail, exit_code=EXIT_BUG)


def _deliver(
    request: NotifyRequest,
    deps: Dependencies,
    name: str,
    status: str,
    files: list[Attachment],
    attached: list[AttachResult],
) -> list[TargetResult]:
    """Render once for the provider, then send to each of its channels (and the files
    into each message's thread)."""
    from cibridge.notify import attachments
    from cibridge.notify.providers import REGISTRY, create
    from cibridge.notify.settings import ProviderSettings

    if name not in REGISTRY:
        known = ", ".join(REGISTRY)
        return [_failed(name, name, CibridgeError(f"unknown provider {name!r} (known: {known})"))]
    label = name
    try:
        settings = ProviderSettings(name, deps.config, deps.env)
        provider = create(name, settings)
        label = provider.label
        if not settings.enabled():
            return [TargetResult(name, label, True, "disabled in the config; skipped")]
        channels: list[str | None] = [None]
        placed = request.placed.get(name)
        if placed is not None:
            channels = [placed.channel]
        elif provider.uses_channel and request.channels:
            channels = list(request.channels)
        recalled = _recall(request, deps, provider, settings, channels[0])
        payload, options = _render(request, deps, provider, settings, status, recalled.values)
    except Exception as error:  # this provider only; the others still go out
        return [_failed(name, label, error)]
    results = []
    for channel in channels:
        shown = f"{label} {channel}" if len(channels) > 1 else label
        try:
            options.channel = channel
            result = _send(request, deps, provider, settings, payload, options, shown)
            if result.ok and recalled.problem:
                result.warning = f"{shown}: {recalled.problem}"
            results.append(result)
        except Exception as error:  # this channel only
            result = _failed(name, shown, error)
            results.append(result)
        if files:
            dry = request.dry_run or deps.transport is None
            # The thread the message went to (--thread's, or the release's), else its own.
            thread = options.thread or result.message_id
            delivered = attachments.Delivered(shown, result.ok, result.channel_id, thread)
            try:
                sent = attachments.send(
                    provider, settings, delivered, files, None if dry else deps.transport
                )
                attached.extend(sent)
            except Exception as error:  # the files only: the message is out
                failed = _failed(name, shown, error)
                attached.append(
                    attachments.AttachResult(
                        shown, "", False, failed.detail, exit_code=failed.exit_code
                    )
                )
    return results


def _recall(
    request: NotifyRequest,
    deps: Dependencies,
    provider: Provider,
    settings: ProviderSettings,
    channel: str | None,
) -> Recalled:
    """What the message being updated said, so the update keeps it (nothing on a dry run:
    nothing is read or sent then)."""
    from cibridge.notify.providers import Recalled

    if not request.update or request.dry_run or deps.transport is None:
        return Recalled()
    delivery = provider.recall(channel, request.update)
    if delivery is None:
        return Recalled()
    response = deps.transport.request(
        delivery.method,
        delivery.url,
        headers=delivery.headers,
        timeout=settings.timeout(),
        what=f"{provider.label} (reading back the message to update)",
    )
    recalled = provider.recalled(response, request.update)
    recalled.values = {k: v for k, v in recalled.values.items() if k not in NOT_KEPT}
    return recalled


def _render(
    request: NotifyRequest,
    deps: Dependencies,
    provider: Provider,
    settings: ProviderSettings,
    status: str,
    kept: Mapping[str, str],
) -> tuple[Any, SendOptions]:
    from cibridge.notify import mentions, message
    from cibridge.notify.providers import SendOptions
    from cibridge.render import engine as render
    from cibridge.render import labels

    locale = (
        request.locale or settings.value("locale") or deps.config.value("notify", "locale") or "en"
    )
    from cibridge.core import redact

    variables = deps.context.template_vars({"status": status})
    for key, value in kept.items():
        if not variables.get(key):  # what this step does not know, the first message said
            variables[key] = value
    variables.update(request.data)
    variables.update(request.values)
    placed = request.placed.get(provider.name)
    remember = {**kept, **request.values, **(placed.remember if placed else {})}
    remember.update({k: str(variables[k]) for k in KEPT_CONTEXT if variables.get(k)})
    variables["t"] = labels.for_locale(str(locale))
    variables["msgtype"] = str(settings.value("msgtype", default=""))
    people = mentions.resolve(deps.config, variables, status, request.mention)
    model = message.build(request.event, status, variables, variables["t"], provider.max_commits)
    model["mentions"] = [p[key] for p in people for key in provider.mention_keys[:1] if key in p]
    variables["message"] = model
    template = request.templates.get(provider.name) or request.templates.get("*")
    template = template or f"{provider.name}/{request.event}.{provider.extension}.j2"
    dirs = render.search_path(deps.templates_dir)
    payload = render.render(template, variables, dirs, env=deps.env).data
    options = SendOptions(
        update=request.update,
        thread=placed.thread if placed else request.thread,
        broadcast=placed.broadcast if placed else False,
        mentions=people,
        mention_all=mentions.applies(deps.config, status, request.mention),
        # Stored where others in the channel can read it: a secret stays masked there too.
        remember={key: redact.redact(value) for key, value in remember.items()},
        run=_run_key(variables),
    )
    return payload, options


def _run_key(variables: Mapping[str, Any]) -> str:
    """The run's key: its repository and run id, never the attempt (a re-run is the same
    run); "" when the context knows no run (a local one)."""
    repository, run_id = variables.get("repository"), variables.get("run_id")
    return f"{repository}#{run_id}" if repository and run_id else ""


def _send(
    request: NotifyRequest,
    deps: Dependencies,
    provider: Provider,
    settings: ProviderSettings,
    payload: Any,
    options: SendOptions,
    label: str,
) -> TargetResult:
    from cibridge.http.refusal import is_redirect, refusal

    delivery = provider.prepare(payload, options)
    if request.dry_run or deps.transport is None:
        return TargetResult(
            provider.name, label, True, "dry run: not sent", preview=preview(label, delivery)
        )
    if delivery.mail is not None:
        return _mail(provider, label, delivery.mail)
    response = deps.transport.request(
        delivery.method,
        delivery.url,
        json=None if delivery.raw is not None else delivery.body,
        data=delivery.raw,
        headers=delivery.headers,
        timeout=settings.timeout(),
        what=label,
    )
    refused = refusal(response, f"{label} did not take the message")
    if refused is not None and is_redirect(response):
        return TargetResult(provider.name, label, False, refused.message, exit_code=EXIT_FAILURE)
    # Any other refusal in the provider's own words first (Slack's error code, an errcode).
    outcome = provider.outcome(response)
    if not outcome.ok:
        hint = f" ({outcome.hint})" if outcome.hint else ""
        detail = f"{label} rejected the message: {outcome.error}{hint}"
        return TargetResult(provider.name, label, False, detail, exit_code=EXIT_FAILURE)
    if refused is not None and not outcome.despite_status:  # errcode 0 on a 403
        return TargetResult(provider.name, label, False, refused.message, exit_code=EXIT_FAILURE)
    return TargetResult(
        provider.name,
        label,
        True,
        "delivered",
        message_id=outcome.message_id,
        channel_id=outcome.channel_id,
    )


def _mail(provider: Provider, label: str, mail: Mail) -> TargetResult:
    """An e-mail goes over SMTP; each recipient the server refused is named with its answer."""
    from cibridge.clients import smtp

    refused = smtp.send(mail.server, mail.message, mail.recipients)
    message_id = str(mail.message["Message-ID"]).strip("<>")
    if refused:
        names = {r.recipient for r in refused}
        sent = [r for r in mail.recipients if r not in names] or ["nobody"]
        detail = f"{label}: sent to {', '.join(sent)}, but the server refused " + "; ".join(
            f"{r.recipient} ({r.answer})" for r in refused
        )
        return TargetResult(
            provider.name, label, False, detail, message_id=message_id, exit_code=EXIT_FAILURE
        )
    count = len(mail.recipients)
    detail = f"delivered to {count} recipient{'s' if count != 1 else ''}"
    return TargetResult(provider.name, label, True, detail, message_id=message_id)


def preview(label: str, delivery: Delivery) -> dict[str, Any]:
    """The request as a dry run shows it: credentials and webhook addresses left out."""
    from cibridge.core.credentials import is_credential_name
    from cibridge.core.redact import MASK

    headers = {
        key: (MASK if is_credential_name(key) else value) for key, value in delivery.headers.items()
    }
    return {
        "provider": label,
        "method": delivery.method,
        "url": delivery.shown_url(),
        "headers": headers,
        "body": delivery.body,
    }
