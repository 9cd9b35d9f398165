"""Where a provider's settings come from: the step's input, then the file, then the job."""

from __future__ import annotations

from cibridge.config.loader import Config
from cibridge.notify.settings import ProviderSettings

FILE = {"integration_configs": {"communication": {"slack": {"webhook_url": "https://file/x"}}}}


def test_a_webhook_input_beats_the_file_which_beats_the_job_variable() -> None:
    job = {"SLACK_WEBHOOK_URL": "https://job/x"}
    step = {**job, "CIBRIDGE_GIVEN_INPUTS": "SLACK_WEBHOOK_URL"}
    hint = "set SLACK_WEBHOOK_URL"
    from_job = ProviderSettings("slack", Config(data=FILE, env=job), job)
    assert from_job.webhook_url("Slack", "SLACK_WEBHOOK_URL", hint) == "https://file/x"
    from_step = ProviderSettings("slack", Config(data=FILE, env=step), step)
    assert from_step.webhook_url("Slack", "SLACK_WEBHOOK_URL", hint) == "https://job/x"
    assert from_step.where("webhook_url", "SLACK_WEBHOOK_URL") == "the slack-webhook-url input"
