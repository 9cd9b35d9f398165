"""The one table of environment variables cibridge reads.

Every other place derives from it: start-up redaction (which variables hold secrets, and
whether a webhook address is a secret as a whole), the action inputs that set a variable,
the demo's filter (which variables could point a run at a real service), the test suite's
environment cleaning and the generated reference page. Code reads a name through
:func:`name` instead of writing the literal, and a test keeps literals out of ``src``.

The CI platforms' own variables (``GITHUB_*``, ``CI_*`` that describe the run) are the
platforms' contract, read in ``context/platforms``; only the ones that hold credentials or
address an API cibridge calls are listed here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["setting", "secret", "address", "webhook"]
# setting: an ordinary value. secret: registered with the redactor (a comma-separated value
# is several secrets: CIBRIDGE_KEY during rotation). address: a URL whose password and
# credential-like query parameters are secrets. webhook: a URL that is a credential as a
# whole, path and query included.


@dataclass(frozen=True)
class Variable:
    name: str
    integration: str  # who reads it: a provider, jira, prometheus, github, http, cibridge …
    key: str  # its role there: the config key it stands in for, or what it holds
    kind: Kind
    purpose: str
    input: str = ""  # the action input that sets it, if one does


_v = Variable


# fmt: off
VARIABLES: tuple[Variable, ...] = (
    # chat providers
    _v("SLACK_WEBHOOK_URL", "slack", "webhook_url", "webhook", "Slack incoming webhook", "slack-webhook-url"),
    _v("SLACK_BOT_TOKEN", "slack", "bot_token", "secret", "Slack bot token (Web API: update, thread, channels)", "slack-bot-token"),
    _v("SLACK_API_URL", "slack", "api_url", "address", "Slack Web API base (proxies, tests)"),
    _v("SLACK_CHANNEL", "slack", "channel", "setting", "default channel for the Web API"),
    _v("DINGTALK_WEBHOOK_URL", "dingtalk", "webhook_url", "webhook", "DingTalk robot webhook", "dingtalk-webhook-url"),
    _v("DINGTALK_SECRET", "dingtalk", "secret", "secret", "DingTalk signing secret (加签)", "dingtalk-secret"),
    _v("DINGTALK_KEYWORD", "dingtalk", "keyword", "setting", "DingTalk security keyword the message must contain"),
    _v("FEISHU_WEBHOOK_URL", "feishu", "webhook_url", "webhook", "Feishu / Lark bot webhook", "feishu-webhook-url"),
    _v("FEISHU_SECRET", "feishu", "secret", "secret", "Feishu signing secret", "feishu-secret"),
    _v("WECOM_WEBHOOK_URL", "wecom", "webhook_url", "webhook", "WeCom group robot webhook", "wecom-webhook-url"),
    _v("TEAMS_WEBHOOK_URL", "teams", "webhook_url", "webhook", "Microsoft Teams workflow webhook", "teams-webhook-url"),
    _v("CIBRIDGE_WEBHOOK_URL", "webhook", "webhook_url", "webhook", "generic signed webhook", "webhook-url"),
    _v("CIBRIDGE_WEBHOOK_SECRET", "webhook", "secret", "secret", "HMAC-SHA256 key of the generic webhook", "webhook-secret"),
    # Mattermost (a webhook; or a token, the server and a channel id for the REST API v4)
    _v("MATTERMOST_WEBHOOK_URL", "mattermost", "webhook_url", "webhook", "Mattermost incoming webhook", "mattermost-webhook-url"),
    _v("MATTERMOST_TOKEN", "mattermost", "token", "secret", "Mattermost bot or personal access token (REST API: update, thread)", "mattermost-token"),
    _v("MATTERMOST_URL", "mattermost", "api_url", "address", "Mattermost server for the REST API, e.g. https://chat.example.com", "mattermost-url"),
    _v("MATTERMOST_CHANNEL", "mattermost", "channel", "setting", "Mattermost channel id for the REST API (a webhook: a channel name overriding its own)"),
    # Discord, Telegram and Google Chat (issue 20)
    _v("DISCORD_WEBHOOK_URL", "discord", "webhook_url", "webhook", "Discord channel webhook (its token is in the path)", "discord-webhook-url"),
    _v("DISCORD_THREAD_ID", "discord", "thread_id", "setting", "Discord thread (or forum post) the messages go to"),
    _v("DISCORD_THREAD_NAME", "discord", "thread_name", "setting", "Discord forum channel: the title of the post a message starts"),
    # E-mail over SMTP (integration_configs.communication.email)
    _v("SMTP_HOST", "email", "host", "setting", "SMTP server for e-mail notifications", "smtp-host"),
    _v("SMTP_PORT", "email", "port", "setting", "SMTP port (default 587 with STARTTLS, 465 with ssl)", "smtp-port"),
    _v("SMTP_USERNAME", "email", "username", "setting", "SMTP login", "smtp-username"),
    _v("SMTP_PASSWORD", "email", "password", "secret", "SMTP password", "smtp-password"),
    _v("SMTP_FROM", "email", "from", "setting", "sender address of e-mail notifications", "smtp-from"),
    _v("SMTP_TO", "email", "to", "setting", "recipients, comma-separated", "smtp-to"),
    _v("SMTP_CC", "email", "cc", "setting", "copy recipients, comma-separated", "smtp-cc"),
    _v("SMTP_STARTTLS", "email", "starttls", "setting", "STARTTLS before the login (default true unless ssl)"),
    _v("SMTP_SSL", "email", "ssl", "setting", "implicit TLS (default true on port 465)"),
    _v("SMTP_TIMEOUT", "email", "timeout", "setting", "how long to wait for the SMTP server (default 30s)"),
    _v("SMTP_CA_BUNDLE", "email", "ca_bundle", "setting", "CA bundle trusted for the SMTP server only"),
    _v("TELEGRAM_BOT_TOKEN", "telegram", "bot_token", "secret", "Telegram bot token (from @BotFather); it is in the path of every Bot API URL", "telegram-bot-token"),
    _v("TELEGRAM_CHAT_ID", "telegram", "channel", "setting", "Telegram chat: -100… for a group or channel, @name for a public channel"),
    _v("TELEGRAM_API_URL", "telegram", "api_url", "address", "Telegram Bot API base: a self-hosted telegram-bot-api server (default https://api.telegram.org)"),
    _v("TELEGRAM_THREAD_ID", "telegram", "thread_id", "setting", "Telegram forum topic (message_thread_id) the messages go to (--thread wins)"),
    _v("GOOGLE_CHAT_WEBHOOK_URL", "google_chat", "webhook_url", "webhook", "Google Chat space webhook (its key and token are in the query)", "google-chat-webhook-url"),
    # Jira (the names Atlassian's deprecated gajira actions used, plus PAT and OAuth)
    _v("JIRA_BASE_URL", "jira", "base_url", "address", "Jira site, e.g. https://your-domain.atlassian.net", "jira-base-url"),
    _v("JIRA_CLOUD_ID", "jira", "cloud_id", "setting", "Jira Cloud id: requests go through the API gateway"),
    _v("JIRA_API_VERSION", "jira", "api_version", "setting", "2 (Data Center) or 3 (Cloud)"),
    _v("JIRA_DEPLOYMENTS_URL", "jira", "deployments_url", "address", "Jira Software Deployments API base"),
    _v("JIRA_USER_EMAIL", "jira", "user", "setting", "Jira Cloud user for basic auth", "jira-user-email"),
    _v("JIRA_API_TOKEN", "jira", "password", "secret", "Jira Cloud API token", "jira-api-token"),
    _v("JIRA_PAT", "jira", "token", "secret", "Jira Data Center personal access token", "jira-pat"),
    _v("JIRA_CLIENT_ID", "jira", "client_id", "setting", "OAuth 2.0 client id (service account)"),
    _v("JIRA_CLIENT_SECRET", "jira", "client_secret", "secret", "OAuth 2.0 client secret", "jira-client-secret"),
    _v("JIRA_ISSUE_KEY", "trigger", "issue_key", "setting", "trigger: the issue to evaluate"),
    _v("CIBRIDGE_TRIGGER_KEY", "trigger", "key", "secret", "trigger: HMAC-SHA256 key signing the dispatch record (openssl rand -hex 32)", "trigger-key"),
    _v("TRIGGER_PAYLOAD", "trigger", "payload", "setting", "trigger: a Jira webhook body passed by a pipeline trigger"),
    # Azure Boards (AZURE_DEVOPS_EXT_PAT is the name the Azure CLI's devops extension reads)
    _v("AZURE_DEVOPS_URL", "azure_devops", "base_url", "address", "Azure DevOps base: https://dev.azure.com (default) or an Azure DevOps Server collection URL", "azure-devops-url"),
    _v("AZURE_DEVOPS_ORG", "azure_devops", "organization", "setting", "Azure DevOps organization (the path after https://dev.azure.com/)", "azure-devops-org"),
    _v("AZURE_DEVOPS_PROJECT", "azure_devops", "project", "setting", "Azure DevOps project holding the work items", "azure-devops-project"),
    _v("AZURE_DEVOPS_EXT_PAT", "azure_devops", "password", "secret", "Azure DevOps personal access token (Basic auth, empty user; the az devops CLI's name)", "azure-devops-pat"),
    _v("AZURE_DEVOPS_TOKEN", "azure_devops", "token", "secret", "Microsoft Entra ID access token for Azure DevOps (Bearer)", "azure-devops-token"),
    # Azure Pipelines' own variables cibridge boards reads (set by the agent)
    _v("SYSTEM_COLLECTIONURI", "azure_pipelines", "collection_uri", "address", "Azure Pipelines: the organization or collection URL"),
    _v("SYSTEM_TEAMPROJECT", "azure_pipelines", "project", "setting", "Azure Pipelines: the project's name"),
    _v("SYSTEM_TEAMPROJECTID", "azure_pipelines", "project_id", "setting", "Azure Pipelines: the project's id (ArtifactLink URIs)"),
    _v("SYSTEM_ACCESSTOKEN", "azure_pipelines", "access_token", "secret", "Azure Pipelines: the job access token (map it into the step's env)"),
    _v("BUILD_BUILDID", "azure_pipelines", "build_id", "setting", "Azure Pipelines: the run's build id (vstfs:///Build/Build/{id})"),
    _v("BUILD_REPOSITORY_PROVIDER", "azure_pipelines", "repository_provider", "setting", "Azure Pipelines: TfsGit for Azure Repos"),
    _v("BUILD_REPOSITORY_ID", "azure_pipelines", "repository_id", "setting", "Azure Pipelines: the repository's id (ArtifactLink URIs)"),
    _v("BUILD_SOURCEVERSION", "azure_pipelines", "source_version", "setting", "Azure Pipelines: the commit being built"),
    # monitoring
    _v("PROMETHEUS_URL", "prometheus", "url", "address", "Prometheus HTTP API base", "prometheus-url"),
    _v("PROMETHEUS_USER", "prometheus", "user", "setting", "Prometheus basic-auth user", "prometheus-user"),
    _v("PROMETHEUS_PASSWORD", "prometheus", "password", "secret", "Prometheus basic-auth password", "prometheus-password"),
    _v("PROMETHEUS_TOKEN", "prometheus", "token", "secret", "Prometheus bearer token", "prometheus-token"),
    _v("PROMETHEUS_CLIENT_ID", "prometheus", "client_id", "setting", "Prometheus OAuth 2.0 client id"),
    _v("PROMETHEUS_CLIENT_SECRET", "prometheus", "client_secret", "secret", "Prometheus OAuth 2.0 client secret"),
    _v("PROMETHEUS_TENANT", "prometheus", "tenant", "setting", "tenant sent as X-Scope-OrgID (Mimir, Cortex)"),
    _v("PROMETHEUS_CA_BUNDLE", "prometheus", "ca_bundle", "setting", "CA bundle trusted for Prometheus only"),
    _v("PROMETHEUS_TIMEOUT", "prometheus", "timeout", "setting", "query timeout sent to Prometheus"),
    _v("ALERTMANAGER_URL", "alertmanager", "url", "address", "Alertmanager for gate --silence", "alertmanager-url"),
    _v("ALERTMANAGER_USER", "alertmanager", "user", "setting", "Alertmanager basic-auth user"),
    _v("ALERTMANAGER_PASSWORD", "alertmanager", "password", "secret", "Alertmanager basic-auth password"),
    _v("ALERTMANAGER_TOKEN", "alertmanager", "token", "secret", "Alertmanager bearer token"),
    _v("ALERTMANAGER_CLIENT_ID", "alertmanager", "client_id", "setting", "Alertmanager OAuth 2.0 client id"),
    _v("ALERTMANAGER_CLIENT_SECRET", "alertmanager", "client_secret", "secret", "Alertmanager OAuth 2.0 client secret"),
    _v("PUSHGATEWAY_URL", "pushgateway", "url", "address", "Pushgateway for gate --push-metrics", "pushgateway-url"),
    _v("PUSHGATEWAY_USER", "pushgateway", "user", "setting", "Pushgateway basic-auth user"),
    _v("PUSHGATEWAY_PASSWORD", "pushgateway", "password", "secret", "Pushgateway basic-auth password"),
    _v("PUSHGATEWAY_TOKEN", "pushgateway", "token", "secret", "Pushgateway bearer token"),
    _v("PUSHGATEWAY_CLIENT_ID", "pushgateway", "client_id", "setting", "Pushgateway OAuth 2.0 client id"),
    _v("PUSHGATEWAY_CLIENT_SECRET", "pushgateway", "client_secret", "secret", "Pushgateway OAuth 2.0 client secret"),
    _v("RULER_URL", "ruler", "url", "address", "Mimir/Cortex ruler for gate rules --apply"),
    _v("RULER_API", "ruler", "api", "setting", "ruler path style: mimir (default) or cortex"),
    _v("RULER_NAMESPACE", "ruler", "namespace", "setting", "ruler namespace gate rules --apply owns (default cibridge)"),
    _v("RULER_TENANT", "ruler", "tenant", "setting", "ruler tenant sent as X-Scope-OrgID"),
    _v("RULER_USER", "ruler", "user", "setting", "ruler basic-auth user"),
    _v("RULER_PASSWORD", "ruler", "password", "secret", "ruler basic-auth password"),
    _v("RULER_TOKEN", "ruler", "token", "secret", "ruler bearer token"),
    _v("DD_API_KEY", "datadog", "api_key", "secret", "Datadog API key (gate checks, DORA events, monitors)", "datadog-api-key"),
    _v("DD_APP_KEY", "datadog", "app_key", "secret", "Datadog application key (queries and monitors)", "datadog-app-key"),
    _v("DD_SITE", "datadog", "site", "setting", "Datadog site, e.g. datadoghq.eu (default datadoghq.com)", "datadog-site"),
    _v("DATADOG_API_URL", "datadog", "url", "address", "Datadog API base instead of the site's (proxies, tests)"),
    # the CI APIs the trigger dispatches to
    _v("GITHUB_TOKEN", "github", "token", "secret", "GitHub token (workflow dispatch; actions: read for the run summary)", "github-token"),
    _v("GH_TOKEN", "github", "gh_token", "secret", "GitHub token under the gh CLI's name"),
    _v("GITHUB_API_URL", "github", "api_url", "address", "GitHub REST API base (set by GitHub Actions)"),
    _v("GITLAB_TOKEN", "gitlab", "token", "secret", "GitLab API token (PRIVATE-TOKEN; read_api for the run summary)", "gitlab-token"),
    _v("GITLAB_TRIGGER_TOKEN", "gitlab", "trigger_token", "secret", "GitLab pipeline trigger token", "gitlab-trigger-token"),
    _v("CI_JOB_TOKEN", "gitlab", "job_token", "secret", "GitLab job token (set by GitLab CI/CD)"),
    _v("CI_API_V4_URL", "gitlab", "api_url", "address", "GitLab REST API base (set by GitLab CI/CD)"),
    # one chat thread per release (cibridge.release)
    _v("CIBRIDGE_RELEASE_KEY", "release", "key", "setting", "the release whose Slack thread notify, jira, boards, gate and trigger report to (--release)"),
    _v("CIBRIDGE_RELEASE_CHANNEL", "release", "channel", "setting", "the Slack channel of release threads: release.channel"),
    # the event stream (cibridge.events)
    _v("CIBRIDGE_EVENTS_TO", "events", "to", "setting", "event transports, comma-separated (http, nats, rabbitmq, kafka): events.to"),
    _v("CIBRIDGE_EVENTS_SPOOL", "events", "spool", "setting", "folder of undelivered events (default $RUNNER_TEMP/cibridge-events)"),
    _v("CIBRIDGE_EVENTS_CHAIN", "events", "chain", "setting", "the chain id this run's events join (a release started elsewhere)"),
    _v("CIBRIDGE_EVENTS_URL", "events", "http_url", "address", "CloudEvents HTTP sink: messaging.http.url"),
    _v("CIBRIDGE_EVENTS_SECRET", "events", "http_secret", "secret", "HMAC-SHA256 key signing each event to the HTTP sink"),
    _v("NATS_URL", "nats", "url", "address", "NATS server, e.g. nats://nats.internal:4222"),
    _v("NATS_TOKEN", "nats", "token", "secret", "NATS token"),
    _v("NATS_USER", "nats", "user", "setting", "NATS user"),
    _v("NATS_PASSWORD", "nats", "password", "secret", "NATS password"),
    _v("NATS_CREDS", "nats", "credentials_file", "setting", "NATS credentials file (.creds)"),
    _v("KAFKA_BOOTSTRAP_SERVERS", "kafka", "bootstrap_servers", "setting", "Kafka brokers, host:port, comma-separated"),
    _v("KAFKA_SASL_USERNAME", "kafka", "sasl_username", "setting", "Kafka SASL user"),
    _v("KAFKA_SASL_PASSWORD", "kafka", "sasl_password", "secret", "Kafka SASL password"),
    _v("RABBITMQ_URL", "rabbitmq", "url", "address", "RabbitMQ, e.g. amqps://user:password@rabbit.internal:5671/%2F"),
    # HTTP, for every request
    _v("HTTPS_PROXY", "http", "https_proxy", "address", "proxy for https requests"),
    _v("https_proxy", "http", "https_proxy_lower", "address", "proxy for https requests"),
    _v("HTTP_PROXY", "http", "http_proxy", "address", "proxy for http requests"),
    _v("http_proxy", "http", "http_proxy_lower", "address", "proxy for http requests"),
    _v("ALL_PROXY", "http", "all_proxy", "address", "proxy for every request"),
    _v("all_proxy", "http", "all_proxy_lower", "address", "proxy for every request"),
    _v("NO_PROXY", "http", "no_proxy", "setting", "hosts reached without the proxy"),
    _v("no_proxy", "http", "no_proxy_lower", "setting", "hosts reached without the proxy"),
    _v("REQUESTS_CA_BUNDLE", "http", "requests_ca_bundle", "setting", "CA bundle (requests' name)"),
    _v("CURL_CA_BUNDLE", "http", "curl_ca_bundle", "setting", "CA bundle (curl's name)"),
    _v("SSL_CERT_FILE", "http", "ssl_cert_file", "setting", "CA bundle (OpenSSL's name)"),
    _v("CIBRIDGE_HTTP_RETRIES", "http", "retries", "setting", "retries of a failed idempotent request (default 3)"),
    _v("CIBRIDGE_HTTP_DEADLINE", "http", "deadline", "setting", "wall-clock seconds of one HTTP attempt, connect to last byte (default 60)"),
    _v("CIBRIDGE_HTTP_MAX_WAIT", "http", "max_wait", "setting", "longest Retry-After honoured, in seconds"),
    # cibridge itself
    _v("CIBRIDGE_CONFIG", "cibridge", "config", "setting", "configuration file (default .cibridge.yml)"),
    _v("CIBRIDGE_KEY", "cibridge", "key", "secret", "Fernet key(s) for enc: values, comma-separated for rotation"),
    _v("CIBRIDGE_SECRETS_DIR", "cibridge", "secrets_dir", "setting", "folder of files named after secrets (*_ref)"),
    _v("CIBRIDGE_CACHE_DIR", "cibridge", "cache_dir", "setting", "cache of compiled templates and on-demand installs"),
    _v("XDG_CACHE_HOME", "cibridge", "xdg_cache_home", "setting", "where the cache goes when CIBRIDGE_CACHE_DIR is unset"),
    _v("CIBRIDGE_OUTPUT_FORMAT", "cibridge", "output_format", "setting", "json: outputs printed as one JSON object"),
    _v("CIBRIDGE_DOTENV", "cibridge", "dotenv", "setting", "GitLab: the dotenv report file (default cibridge.env)"),
    _v("CIBRIDGE_INSTALLER", "cibridge", "installer", "setting", "pip: install on-demand dependencies with pip, not uv"),
    _v("CIBRIDGE_STATUS", "context", "status", "setting", "the job status to report, when the platform cannot tell (an action inside its job)"),
    _v("CIBRIDGE_ENVIRONMENT", "context", "environment", "setting", "the environment being deployed to"),
    _v("CIBRIDGE_VERSION", "context", "version", "setting", "the version being shipped"),
    _v("CIBRIDGE_STARTED_AT", "context", "started_at", "setting", "when the job started (ISO 8601), for the duration shown"),
    _v("CIBRIDGE_COMMAND", "action", "command", "setting", "the root action's command"),
    _v("CIBRIDGE_ARGS", "action", "args", "setting", "the actions' extra arguments, shell-quoted"),
)
# fmt: on
# The CI platforms' own variables: read by context/platforms, cleaned from the test
# suite's environment with the rows above. Azure Pipelines' predefined variables are
# Agent.*, Build.*, System.*, Environment.* and TF_BUILD, as environment variables
# upper-cased with "." as "_" (docs/pipelines/build/variables.md).
PLATFORM_PREFIXES = (
    "GITHUB_",
    "GITLAB_",
    "CI_",
    "RUNNER_",
    "TF_BUILD",
    "AGENT_",
    "BUILD_",
    "SYSTEM_",
    "ENVIRONMENT_",
)
# Each action input becomes a variable with this prefix in the step's env: (inputs reach
# scripts only through env:); secrets carry their own prefix so they are masked first.
OPTION_PREFIX = "CIBRIDGE_OPT_"
SECRET_INPUT_PREFIX = "CIBRIDGE_IN_"  # noqa: S105 - a variable-name prefix
# The variables the step's inputs set, comma-separated: an input is given on the step, so
# it wins over the configuration file, while the same variable set on the job does not.
GIVEN_INPUTS = "CIBRIDGE_GIVEN_INPUTS"

BY_NAME: Mapping[str, Variable] = {v.name: v for v in VARIABLES}
_BY_ROLE: Mapping[tuple[str, str], Variable] = {(v.integration, v.key): v for v in VARIABLES}
# Action input -> the variable it sets, one step configuring everything it needs.
INPUTS: Mapping[str, str] = {v.input: v.name for v in VARIABLES if v.input}


def given_inputs(env: Mapping[str, str]) -> frozenset[str]:
    """The variables in ``env`` that an action input set (see :data:`GIVEN_INPUTS`)."""
    return frozenset(name for name in env.get(GIVEN_INPUTS, "").split(",") if name)


def source(env_name: str, env: Mapping[str, str]) -> str:
    """Where a value read from ``env_name`` came from, for messages."""
    if env_name in given_inputs(env):
        inputs = [key for key, value in INPUTS.items() if value == env_name]
        return f"the {inputs[0]} input" if inputs else env_name
    return f"environment variable {env_name}"


def name(integration: str, key: str) -> str:
    """The variable that holds ``key`` for ``integration``; KeyError names a missing row."""
    return _BY_ROLE[(integration, key)].name


def find(integration: str, key: str) -> str:
    """Like :func:`name`, or "" when the integration has no such variable."""
    found = _BY_ROLE.get((integration, key))
    return found.name if found else ""


def of(integration: str) -> Iterator[Variable]:
    return (v for v in VARIABLES if v.integration == integration)


# What could send a run to a real service or sign it in there: every variable an
# integration reads (cibridge's own knobs are kept), and anything else under the prefix an
# integration's variables share (a SLACK_* a later version reads must not slip through).
_OWN = frozenset({"cibridge", "action"})


def _shared_prefix(names: list[str]) -> str:
    common = os.path.commonprefix(names)  # noqa: RUF071 - names, not paths
    return common[: common.rfind("_") + 1]


_PREFIXES = tuple(
    sorted(
        prefix
        for integration in {v.integration for v in VARIABLES} - _OWN
        if (prefix := _shared_prefix([v.name for v in VARIABLES if v.integration == integration]))
    )
)


def reaches_a_service(variable: str) -> bool:
    known = BY_NAME.get(variable)
    if known is not None:
        return known.integration not in _OWN or known.kind == "secret"
    return variable.startswith(_PREFIXES)


def register(env: Mapping[str, str]) -> None:
    """Register every secret the environment holds, before anything is printed."""
    from cibridge.core import redact

    for variable in VARIABLES:
        value = env.get(variable.name)
        if not value:
            continue
        if variable.kind == "webhook":
            redact.register_url(value, whole_url_secret=True)
        elif variable.kind == "address":
            redact.register_url(value, whole_url_secret=False)
        elif variable.kind == "secret":
            for part in value.split(","):
                redact.register(part.strip())
