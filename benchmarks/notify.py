"""One whole `cibridge notify --to slack` process against a bare requests.post to the same
loopback receiver, in the same run. Targets: median ratio <= 1.2 to requests.post, and
<= 0.8 to the official Slack GitHub action (slackapi/slack-github-action) where its bundle
and a Node to run it are given.

    python benchmarks/notify.py [--runs 30]
    PYTHONPATH=src <action venv>/bin/python benchmarks/notify.py   # as the action runs it
    python benchmarks/notify.py --slack-action DIR [--node PATH]

``--slack-action DIR`` is a checkout of a release of slackapi/slack-github-action (its
``dist/index.js``, the file its action.yml runs with ``using: node24``); ``--node`` the
Node that runs it (default: ``node`` on PATH). It gets the inputs a workflow's ``with:``
would give (``webhook``, ``webhook-type: incoming-webhook``, a one-line ``payload``) and
the action.yml defaults, as INPUT_* variables, as the runner passes them.

The notify process runs as it would in a GitHub Actions job on a push event (context from
the event payload, outputs to $GITHUB_OUTPUT), and once more as a plain local run, which
also reads the git checkout for its context.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _timing import CPU, report, time_commands

TARGET = 1.2
NODE_TARGET = 0.8
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "github_push.json"


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--slack-action", type=Path, help="slackapi/slack-github-action checkout")
    parser.add_argument("--node", default="node", help="the Node that runs its bundle")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/benchmark"
    python = sys.executable
    baseline = f"import requests; requests.post({url!r}, json={{'text': 'build ok'}})"
    with tempfile.TemporaryDirectory() as scratch:
        github = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(FIXTURE),
            "GITHUB_REPOSITORY": "acme/checkout",
            "GITHUB_RUN_ID": "1",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_OUTPUT": str(Path(scratch) / "output"),
            "SLACK_WEBHOOK_URL": url,
        }
        notify = [python, "-m", "cibridge", "notify", "--to", "slack", "--status", "success"]
        commands = {
            "python: requests.post": [python, "-c", baseline],
            "cibridge notify (GitHub push)": notify,
        }
        if args.slack_action:
            bundle = args.slack_action.resolve() / "dist" / "index.js"
            commands[NODE] = [args.node, str(bundle)]
            github.update(slack_action_inputs(url))
        timings = time_commands(
            commands,
            args.runs,
            env={**github, "CIBRIDGE_CACHE_DIR": str(Path(scratch) / "cache")},
            cwd=scratch,
        )
        # An unusable cache directory: every run compiles its templates, as on a fresh runner.
        cold = time_commands(
            {"cibridge notify (GitHub push, no template cache)": notify},
            args.runs,
            env={**github, "CIBRIDGE_CACHE_DIR": "/dev/null/none"},
            cwd=scratch,
        )
    local = time_commands(
        {"cibridge notify (local git)": [*notify[:4], "--to", "slack", "--status", "success"]},
        args.runs,
        env={"SLACK_WEBHOOK_URL": url},
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    server.shutdown()
    ratios = report({**timings, **cold, **local}, "python: requests.post")
    ratio = ratios["cibridge notify (GitHub push)"]
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"GitHub-job notify {verdict} the {TARGET} target")
    if NODE in timings:
        to_node = ratio / ratios[NODE]
        verdict = "meets" if to_node <= NODE_TARGET else "MISSES"
        cpu = statistics.median(CPU["cibridge notify (GitHub push)"]) / statistics.median(CPU[NODE])
        print(f"notify / Slack action = {to_node:.2f} (cpu {cpu:.2f}): {verdict} the "
              f"{NODE_TARGET} target")  # fmt: skip
    else:
        print("Slack action baseline not run (give --slack-action DIR)")
    return 0


NODE = "node: slack-github-action"


def slack_action_inputs(url: str) -> dict[str, str]:
    """The INPUT_* variables a runner sets for the step (names upper-cased, hyphens kept),
    the given inputs and action.yml's defaults."""
    return {
        "INPUT_WEBHOOK": url,
        "INPUT_WEBHOOK-TYPE": "incoming-webhook",
        "INPUT_PAYLOAD": 'text: "build ok"',
        "INPUT_ERRORS": "false",
        "INPUT_RETRIES": "5",
        "INPUT_PAYLOAD-TEMPLATED": "false",
    }


if __name__ == "__main__":
    sys.exit(main())
