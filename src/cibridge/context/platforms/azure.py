"""Azure Pipelines: context from its predefined variables; ``##vso`` logging commands.

Sources (Microsoft's own): the predefined variables,
https://learn.microsoft.com/azure/devops/pipelines/build/variables (MicrosoftDocs/
azure-devops-docs docs/pipelines/build/includes/variables-hosted.md); the logging commands,
https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands; how the agent
reads them, microsoft/azure-pipelines-agent (Command.cs, WorkerCommandManager.cs,
AgentKnobs.cs, docs/design/percentEncoding.md) and microsoft/azure-pipelines-task-lib
(node/taskcommand.ts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from cibridge.context import gitlog, job_status
from cibridge.context.model import Commit, Context, PullRequest
from cibridge.context.payload import parse_number
from cibridge.context.platforms.base import Console
from cibridge.core import redact
from cibridge.core.errors import CibridgeError
from cibridge.core.untrusted import printable

# The agent looks for "##vso[" anywhere in a line, on stdout and stderr alike
# (WorkerCommandManager.TryProcessCommand → Command.TryParse: message.IndexOf("##vso[")),
# and the log viewer reads the "##[group]"-style formatting commands. Data that holds
# either is shown with its "[" as an escape, so it is read, never obeyed. Matched without
# regard to case: the agent's own match is ordinal, a wider net costs nothing.
_COMMAND = re.compile(r"(##(?:vso)?)\[", re.IGNORECASE)
# Azure Pipelines variable names: letters, digits, "." and "_" (the "Variable naming
# restrictions" of docs/pipelines/process/variables.md); cibridge's "message-id" is
# written as message_id, as in GitLab's dotenv report.
_NAME = re.compile(r"^[A-Za-z0-9_.]+$")
_RESERVED = ("endpoint", "input", "secret", "path", "securefile")
_HEADS = "refs/heads/"
_TAGS = "refs/tags/"


def inert(text: str) -> str:
    """``text`` with every logging-command opening shown, not obeyed."""
    return _COMMAND.sub(lambda match: match.group(1) + "\\x5b", text)


def escape(value: str) -> str:
    """A value inside a logging command. The agent unescapes %3B, %0D, %0A and %5D, then
    %AZP25 to % (Command.TryParse; DECODE_PERCENTS is on by default, AgentKnobs.cs), in
    properties and message alike; escaping % first keeps a literal "%0A" in a value."""
    return (
        value.replace("%", "%AZP25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(";", "%3B")
        .replace("]", "%5D")
    )


def variable_name(key: str) -> str:
    name = key.replace("-", "_")
    if not _NAME.match(name) or name.lower().startswith(_RESERVED):
        raise CibridgeError(
            f"output {key!r} cannot be an Azure Pipelines variable name",
            hint="names are letters, digits, . and _, and do not start with endpoint, input, "
            "secret, path or securefile",
        )
    return name


class AzurePipelines(Console):
    name = "azure-pipelines"

    def __init__(self, env: Mapping[str, str], stream: TextIO, err: TextIO | None = None) -> None:
        super().__init__(env, stream, err)
        self._summaries = 0

    def context(self, env: Mapping[str, str], cwd: str) -> Context:
        return azure_context(env, cwd)

    def _command(self, name: str, properties: str, data: str) -> None:
        self.write(f"##vso[{name}{' ' + properties if properties else ''}]{escape(data)}\n")

    def mask(self, secret: str) -> None:
        # Unredacted on purpose: the agent needs the value to mask it. One command a line,
        # as the agent masks each registered value as a whole.
        for line in secret.splitlines():
            if line.strip():
                self._command("task.setsecret", "", line)

    def print(self, text: str) -> None:
        self.write(inert(printable(redact.redact(text))) + "\n")

    def print_err(self, text: str) -> None:
        self.write_err(inert(printable(redact.redact(text))) + "\n")

    def _issue(self, kind: str, message: str) -> None:
        # Redact before escaping: escaping first would hide a secret's "%" or newline from
        # the redactor. The message is data of the command: the agent does not read it again.
        self._command("task.logissue", f"type={kind};", printable(redact.redact(message)))

    def error(self, message: str) -> None:
        self._issue("error", message)

    def warning(self, message: str) -> None:
        self._issue("warning", message)

    def emit_outputs(self, outputs: Mapping[str, str]) -> None:
        # isoutput=true: later steps read $(step.name), later jobs dependencies.job.outputs[...]
        # (docs/pipelines/process/set-variables-scripts.md).
        names = {key: variable_name(key) for key in outputs}
        if self.json_outputs:
            super().emit_outputs(outputs)
        for key, value in outputs.items():
            self._command(
                "task.setvariable",
                f"variable={names[key]};isoutput=true",
                redact.redact(value),
            )

    def summary(self, markdown: str) -> None:
        # task.uploadsummary attaches a Markdown file to the run's summary page, under the
        # file's name; the agent's temp folder is emptied after every job.
        temp = self.env.get("AGENT_TEMPDIRECTORY")
        if not temp:
            return  # not in an agent's job (--platform azure-pipelines on a laptop)
        folder = Path(temp).resolve()
        self._summaries += 1
        for number in range(self._summaries, self._summaries + 1000):
            path = folder / ("cibridge.md" if number == 1 else f"cibridge-{number}.md")
            try:
                with open(path, "x", encoding="utf-8") as handle:
                    handle.write(redact.redact(markdown) + "\n")
            except FileExistsError:
                continue
            except OSError as error:
                raise CibridgeError(
                    f"cannot write the run summary {path}: {error.strerror or error}",
                    hint="AGENT_TEMPDIRECTORY is the agent's; check the job's disk space",
                ) from None
            self._summaries = number
            self._command("task.uploadsummary", "", str(path))
            return

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        heading = " ".join(inert(printable(redact.redact(title))).splitlines())
        self.write(f"##[group]{heading}\n")
        try:
            yield
        finally:
            self.write("##[endgroup]\n")


def _clean_url(url: str) -> str:
    """Build.Repository.Uri of an Azure Repos repository carries the organisation as a user
    name (https://fabrikam@dev.azure.com/fabrikam/...; MicrosoftDocs/azure-devops-docs
    #13998); a link shows none, and a GitHub URI may end in .git."""
    return gitlog.web_url(url).rstrip("/") if url else ""


def _short(ref: str) -> str:
    return ref.removeprefix(_HEADS)


def azure_context(env: Mapping[str, str], cwd: str) -> Context:
    collection = env.get("SYSTEM_COLLECTIONURI") or env.get(
        "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", ""
    )
    project = env.get("SYSTEM_TEAMPROJECT", "")
    build_id = env.get("BUILD_BUILDID", "")
    run_url = ""
    if collection and project and build_id:
        from urllib.parse import quote

        run_url = (
            f"{collection.rstrip('/')}/{quote(project, safe='')}/_build/results?buildId={build_id}"
        )
    provider = env.get("BUILD_REPOSITORY_PROVIDER", "")
    repo_url = _clean_url(env.get("BUILD_REPOSITORY_URI", ""))
    ref = env.get("BUILD_SOURCEBRANCH", "")
    tag = ref.removeprefix(_TAGS) if ref.startswith(_TAGS) else ""
    context = Context(
        platform="azure-pipelines",
        # TfsGit names the repository alone; GitHub's is owner/name.
        repository=env.get("BUILD_REPOSITORY_NAME", ""),
        repository_url=repo_url,
        sha=env.get("BUILD_SOURCEVERSION", ""),
        ref=ref,
        # Build.SourceBranchName is the last path segment only (feature/tools → tools).
        branch=ref.removeprefix(_HEADS) if ref.startswith(_HEADS) else "",
        tag=tag,
        version=tag,
        event=env.get("BUILD_REASON", ""),
        actor=env.get("BUILD_REQUESTEDFOR", ""),
        run_id=build_id,
        run_url=run_url,
        attempt=env.get("SYSTEM_JOBATTEMPT", ""),
        workflow=env.get("BUILD_DEFINITIONNAME", ""),
        job=env.get("SYSTEM_JOBDISPLAYNAME") or env.get("AGENT_JOBNAME", ""),
        # Agent.JobStatus: Succeeded, SucceededWithIssues, Failed, Canceled — the job's
        # status so far, so a step with condition: always() sees an earlier failure.
        status=job_status.normalise(env.get("AGENT_JOBSTATUS", "")),
        environment=env.get("ENVIRONMENT_NAME", ""),
    )
    commit_url = f"{repo_url}/commit/" if repo_url and provider in ("TfsGit", "GitHub") else ""
    pull_id = env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "")
    if pull_id:
        # GitHub pull requests have an internal id beside their number; the number is the
        # one people write (System.PullRequest.PullRequestNumber).
        number_text = env.get("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER") or pull_id
        number = parse_number(number_text, "SYSTEM_PULLREQUEST_PULLREQUESTID", context.notes)
        path = "pull" if provider == "GitHub" else "pullrequest"
        source = _short(env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH", ""))
        context.pull_request = PullRequest(
            number=number,
            title="",  # no predefined variable holds it
            url=f"{repo_url}/{path}/{number}" if repo_url and number else "",
            source_branch=source,
            target_branch=_short(env.get("SYSTEM_PULLREQUEST_TARGETBRANCH", "")),
        )
        context.branch = source or context.branch
        # Build.SourceVersion is the merge commit of a pull request build; the pull
        # request's own head is System.PullRequest.SourceCommitId (set by the service,
        # though not in the documented list: MicrosoftDocs/azure-devops-docs#4588).
        head = env.get("SYSTEM_PULLREQUEST_SOURCECOMMITID", "")
        found = gitlog.commits(cwd, "HEAD^1..HEAD^2", commit_url) if context.sha else None
        if found is None:
            context.notes.append(
                "the checkout does not have the pull request's commits: set fetchDepth: 0 "
                "on the checkout step to list them"
            )
        context.sha = head or context.sha
        context.commits = found or []
        return context
    if context.sha:
        found = gitlog.commits(cwd, "HEAD", commit_url, max_count=1)
        context.commits = found or _head_commit(env, commit_url)
    return context


def _head_commit(env: Mapping[str, str], commit_url: str) -> list[Commit]:
    sha = env.get("BUILD_SOURCEVERSION", "")
    return [
        Commit(
            sha=sha,
            message=env.get("BUILD_SOURCEVERSIONMESSAGE", ""),
            url=f"{commit_url}{sha}" if commit_url else "",
        )
    ]
