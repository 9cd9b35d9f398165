"""The whole demo: every chapter against loopback stand-ins, then what each one received."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cibridge.config import variables
from cibridge.core.errors import EXIT_FAILURE, EXIT_OK
from cibridge.notify.providers import NAMES as PROVIDERS
from cibridge.notify.service import NotifyRequest

if TYPE_CHECKING:
    from cibridge.demo.stage import Stage
    from cibridge.demo.standins import StandIns

# Services whose chapter shows what they hold, rather than every request they answered.
SHOWN_IN_THEIR_CHAPTER = frozenset({"jira", "github", "gitlab", "cdevents", "azure_boards"})
OUTPUT_LINES = (
    "\nThe name=value lines are the step's outputs (in GitHub Actions "
    "steps.<id>.outputs.<name>; in GitLab, dotenv variables with _ for -):\n"
    "  ok=true          every provider delivered (false: one did not, and the step failed)\n"
    "  message-id=...   the Slack message's ts, the Mattermost post's or the Discord\n"
    "                   message's id, to update it in place with --update (empty: other\n"
    "                   webhooks give no id)\n"
    "  channel-id=...   the channel that message is in, for the same update"
)
# The README's "Try it" lists the same steps (tests/demo/test_run.py keeps them together).
NEXT_STEPS = (
    "1. See the exact request a real notification sends, secrets redacted, without sending it:",
    "     SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T000/B000/... \\",
    "       cibridge --dry-run notify --to slack --status success",
    "2. Write .cibridge.yml (start from the configuration above) and check it:",
    "     cibridge config check",
    "3. Add the step to your pipeline: the GitHub action (docs/github-actions.md) or the "
    "GitLab component (docs/gitlab.md); README.md has a quick start for each.",
    "4. Run your workflow against these stand-ins before using real services:",
    "     cibridge standins --env-file .standins.env --for 600 &",
    "   (docs/github-actions.md: Try the actions locally)",
)


def _notify(stage: Stage, env: dict[str, str], request: NotifyRequest) -> int:
    """One notify run against the stand-ins: their environment, none of the repository's
    provider settings, the same context."""
    from cibridge.config.loader import Config
    from cibridge.http.transport import HttpSettings, Transport
    from cibridge.notify import reporting, service

    deps = service.Dependencies(
        config=Config(data={"notify": stage.notify_settings}, env=env),
        context=stage.context,
        env=env,
        templates_dir=stage.templates_dir,
        transport=Transport(HttpSettings.from_env(env)),
    )
    request.locale = stage.locale
    request.fail_on_error = True
    result = service.run(request, deps)
    reporting.report(stage.platform, result)
    return result.exit_code


def _update_discord(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    """Discord's webhook answers with the message (?wait=true), so the same two steps
    edit it in place: the --update is the message id the first step output."""
    codes = [_notify(stage, env, NotifyRequest(["discord"], event="deploy", status="running"))]
    posted = [r for r in stand_ins.of("discord") if r.method == "POST" and r.status == 200]
    message_id = str(json.loads(posted[-1].answer).get("id", "")) if posted else ""
    done = NotifyRequest(["discord"], event="deploy", status="success", update=message_id)
    codes.append(_notify(stage, env, done))
    return max(codes)


def run(stage: Stage, *, sample: bool) -> int:
    """Every chapter against loopback stand-ins; the highest exit code of them."""
    from cibridge.context import sample as sample_context
    from cibridge.demo import standins

    platform = stage.platform
    if sample:
        stage.context = sample_context.build()
    codes = []
    with standins.StandIns() as stand_ins:
        # Only the stand-ins: real credentials in the environment or the repository's
        # provider settings must never receive demo traffic.
        env = {k: v for k, v in stage.env.items() if not variables.reaches_a_service(k)}
        env.update(stand_ins.env())
        platform.print(f"stand-ins listening on {stand_ins.base}")
        with platform.group("1. Build succeeded → every provider"):
            # E-mail needs an SMTP server: chapter 2c starts one.
            chat = [name for name in PROVIDERS if name != "email"]
            codes.append(_notify(stage, env, NotifyRequest(chat, status="success")))
            platform.print(OUTPUT_LINES)
        api_env = {
            **env,
            "SLACK_BOT_TOKEN": standins.SLACK_TOKEN,
            "SLACK_API_URL": f"{stand_ins.base}/slack/api",
        }
        with platform.group(
            "2. Deploy running → Slack (Web API) and Discord, then updated in place"
        ):
            running = NotifyRequest(
                ["slack"], event="deploy", status="running", channels=["#deployments"]
            )
            codes.append(_notify(stage, api_env, running))
            posted = [r for r in stand_ins.of("slack") if r.path.endswith("chat.postMessage")]
            answer = json.loads(posted[-1].answer) if posted else {}
            # The update names the channel by id, as a workflow passes the channel-id output:
            # reading the message back (conversations.history) takes no channel name.
            channel = str(answer.get("channel") or "#deployments")
            done = NotifyRequest(
                ["slack"],
                event="deploy",
                status="success",
                channels=[channel],
                update=str(answer.get("ts", "")),
            )
            codes.append(_notify(stage, api_env, done))
            codes.append(_update_discord(stage, env, stand_ins))
        mattermost_env = {
            **env,
            "MATTERMOST_TOKEN": standins.MATTERMOST_TOKEN,
            "MATTERMOST_URL": f"{stand_ins.base}/mattermost",
            "MATTERMOST_CHANNEL": standins.MATTERMOST_CHANNELS["deployments"],
        }
        with platform.group("2b. The same on Mattermost (REST API): posted, then updated in place"):
            codes.append(_mattermost(stage, mattermost_env, stand_ins))
        with platform.group("2c. Build succeeded → e-mail, to an SMTP server on 127.0.0.1"):
            from cibridge.demo import mail as mail_demo

            codes.append(mail_demo.chapter(stage, env, _notify))
        with platform.group("3. Jira says Ready for Deployment → one pipeline starts"):
            from cibridge.demo import trigger as trigger_demo

            codes.append(trigger_demo.chapter(stage, env))
        with platform.group("4. Deployed → the Jira issues it ships"):
            from cibridge.demo import jira as jira_demo

            codes.append(jira_demo.chapter(stage, env, stand_ins))
            stage.published["jira"] = dict(platform.outputs)
        with platform.group("5. Deployed → the Azure Boards work items it ships (AB#)"):
            from cibridge.demo import boards as boards_demo

            codes.append(boards_demo.chapter(stage, env, stand_ins))
        with platform.group("6. After the deploy → the gate: a healthy service, then a broken one"):
            from cibridge.demo import gate as gate_demo

            codes.append(gate_demo.chapter(stage, env, stand_ins))
        with platform.group("7. The same run as CDEvents → a CloudEvents sink (and NATS)"):
            from cibridge.demo import events as events_demo

            codes.append(events_demo.chapter(stage, env, stand_ins))
        with platform.group("8. One release as one Slack thread: trigger, deploy, gate, rollback"):
            from cibridge.demo import release as release_demo

            codes.append(release_demo.chapter(stage, api_env, stand_ins))
        with platform.group("9. What each notification stand-in received"):
            for received in stand_ins.received:
                if received.service in SHOWN_IN_THEIR_CHAPTER:
                    continue
                verdict = (
                    "accepted"
                    if received.status < 300 and b'"ok": false' not in received.answer
                    else "REJECTED"
                )
                platform.print(
                    f"\n{received.service} {received.path.split('?')[0]} "
                    f"→ HTTP {received.status} {verdict}"
                )
                if not received.raw:  # a read (Slack's conversations.history): no body
                    continue
                with platform.untrusted():
                    platform.print(json.dumps(received.json, indent=2, ensure_ascii=False)[:4000])
        with platform.group("10. The configuration this demo used"):
            shown = {*stand_ins.env(), *api_env, *mattermost_env}
            _show_configuration(stage, sorted(shown - set(stage.env)))
        with platform.group("11. Next steps"):
            platform.print("\n".join(NEXT_STEPS))
    return max(codes) if codes else EXIT_OK


def _mattermost(stage: Stage, env: dict[str, str], stand_ins: StandIns) -> int:
    """A post through the REST API, then its update: the post id the first answer gave."""
    running = NotifyRequest(["mattermost"], event="deploy", status="running")
    code = _notify(stage, env, running)
    created = [r for r in stand_ins.of("mattermost") if r.path.endswith("/api/v4/posts")]
    post = json.loads(created[-1].answer) if created and created[-1].status == 201 else {}
    if not post:
        return max(code, EXIT_FAILURE)
    done = NotifyRequest(["mattermost"], event="deploy", status="success", update=post["id"])
    return max(code, _notify(stage, env, done))


def _show_configuration(stage: Stage, variables: list[str]) -> None:
    import yaml

    used = dict(stage.used)
    if stage.notify_settings:
        used = {"notify": stage.notify_settings, **used}
    stage.platform.print(
        "As .cibridge.yml (the gate's ports are this run's):\n"
        + yaml.safe_dump(used, sort_keys=False, allow_unicode=True, width=100)
    )
    stage.platform.print(
        "Provider and service addresses came from these variables, set to the stand-ins "
        "(cibridge standins prints them with their values):\n  " + "\n  ".join(variables)
    )
