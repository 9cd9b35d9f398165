"""An Azure Pipelines job as the tests see it: the predefined variables an agent sets for a
script step (docs/pipelines/build/variables.md), and the logging commands it would obey.

There is no Azure Pipelines agent on this machine: the tests run cibridge with the
variables set and read its ``##vso`` lines as the agent's parser does (Command.TryParse in
microsoft/azure-pipelines-agent: the first ``##vso[`` anywhere in a line, up to the first
``]``; properties split on ``;`` at the first ``=``; %3B %0D %0A %5D then %AZP25 decoded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def azure_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A CI build of an Azure Repos repository on a hosted agent."""
    temp = tmp_path / "_temp"
    temp.mkdir(parents=True, exist_ok=True)
    return {
        "TF_BUILD": "True",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/",
        "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": "https://dev.azure.com/fabrikam/",
        "SYSTEM_TEAMPROJECT": "Fabrikam Fiber",
        "BUILD_BUILDID": "4242",
        "BUILD_DEFINITIONNAME": "shop-ci",
        "BUILD_REASON": "IndividualCI",
        "BUILD_REQUESTEDFOR": "Mona Lisa",
        "BUILD_REPOSITORY_NAME": "shop",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "BUILD_REPOSITORY_URI": "https://fabrikam@dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/shop",
        "BUILD_SOURCEBRANCH": "refs/heads/main",
        "BUILD_SOURCEBRANCHNAME": "main",
        "BUILD_SOURCEVERSION": "c" * 40,
        "BUILD_SOURCEVERSIONMESSAGE": "PROJ-1: empty carts no longer crash",
        "AGENT_JOBSTATUS": "Succeeded",
        "AGENT_JOBNAME": "deploy",
        "AGENT_TEMPDIRECTORY": str(temp),
        "SYSTEM_JOBDISPLAYNAME": "Deploy",
        "SYSTEM_JOBATTEMPT": "1",
        **extra,
    }


@dataclass
class Command:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def _unescape(text: str) -> str:
    for token, replacement in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
        text = text.replace(replacement, token)
    return text.replace("%AZP25", "%")


def parse(line: str) -> Command | None:
    """The command the agent would run for ``line``, or None."""
    start = line.find("##vso[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + len("##vso[") : end]
    name, _, rest = info.partition(" ")
    if len([part for part in name.split(".") if part]) != 2:
        return None
    properties = {}
    for pair in (p for p in rest.split(";") if p):
        key, equals, value = pair.partition("=")
        if equals and key and value:
            properties[key] = _unescape(value)
    return Command(name, properties, _unescape(line[end + 1 :]))


def commands(text: str) -> list[Command]:
    """Every command the agent would obey in ``text`` (stdout or stderr: it reads both)."""
    found = [parse(line) for line in text.replace("\r", "\n").splitlines()]
    return [command for command in found if command is not None]


def outputs(text: str) -> dict[str, str]:
    """The output variables ``text`` sets."""
    return {
        c.properties["variable"]: c.data
        for c in commands(text)
        if c.name == "task.setvariable" and c.properties.get("isoutput") == "true"
    }


def formatting(text: str) -> list[str]:
    """Lines the log viewer would format (##[group], ##[error], ...)."""
    return [line for line in text.splitlines() if line.lstrip().lower().startswith("##[")]
