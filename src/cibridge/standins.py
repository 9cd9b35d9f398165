"""Loopback stand-ins for Slack, DingTalk, Feishu, WeCom, Teams and a generic receiver.

They validate as strictly as the services (signatures recomputed independently, Slack
blocks through slack_sdk's models when it is installed, the documented size limits) and
answer with the services' real error bodies. ``cibridge demo`` and the tests use them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SLACK_TOKEN = "xoxb-standin-token"  # noqa: S105 - a stand-in's own credential
SLACK_HOOK = "/slack/services/T0STANDIN/B0STANDIN/standinhooksecret"
SLACK_CHANNELS = {
    "#deployments": "C0DEPLOYS",
    "#ci-cd-notifications": "C0CINOTES",
    "C0DEPLOYS": "C0DEPLOYS",
}
DINGTALK_TOKEN = "standin-dingtalk-token"  # noqa: S105
DINGTALK_SECRET = "SECstandin-dingtalk-secret"  # noqa: S105
FEISHU_HOOK = "standin-feishu-hook"
FEISHU_SECRET = "standin-feishu-secret"  # noqa: S105
WECOM_KEY = "standin-wecom-key"
TEAMS_SIG = "standin-teams-sig"
WEBHOOK_SECRET = "standin-webhook-secret"  # noqa: S105
_MORE = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"


@dataclass
class Received:
    service: str
    path: str
    headers: dict[str, str]
    raw: bytes
    status: int
    answer: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class Behaviour:
    """Knobs tests turn: throttle the next requests, require a DingTalk keyword, ..."""

    throttle_next: int = 0
    retry_after: str = "1"
    dingtalk_keyword: str = ""
    dingtalk_per_minute: int = 20
    slack_messages: dict[str, dict[str, Any]] = field(default_factory=dict)


def _slack_block_errors(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > 50:
        return [f"no more than 50 items allowed [json-pointer:/blocks] ({len(blocks)})"]
    try:
        from slack_sdk.errors import SlackObjectFormationError
        from slack_sdk.models.blocks import Block
    except ImportError:  # the demo without test extras: limits only
        return _slack_limit_errors(blocks)
    errors = []
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                errors.append(f"unsupported block type at [json-pointer:/blocks/{index}]")
                continue
            block.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as error:
            errors.append(f"{error} [json-pointer:/blocks/{index}]")
    return errors + _slack_limit_errors(blocks)


def _slack_limit_errors(blocks: list[Any]) -> list[str]:
    errors = []
    for index, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "") if isinstance(block, dict) else ""
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header" and len(text) > 150:
            errors.append(f"must be less than 151 characters [json-pointer:/blocks/{index}/text]")
        if kind == "section" and len(text) > 3000:
            errors.append(f"must be less than 3001 characters [json-pointer:/blocks/{index}/text]")
        if kind == "section" and len(block.get("fields") or []) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:/blocks/{index}/fields]")
    return errors


class StandIns:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self._lock = threading.Lock()
        self._ts = 0
        self._dingtalk_sent: list[float] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment variables that point every provider at these stand-ins."""
        return {
            "SLACK_WEBHOOK_URL": self.base + SLACK_HOOK,
            "DINGTALK_WEBHOOK_URL": (
                f"{self.base}/dingtalk/robot/send?access_token={DINGTALK_TOKEN}"
            ),
            "DINGTALK_SECRET": DINGTALK_SECRET,
            "FEISHU_WEBHOOK_URL": f"{self.base}/feishu/open-apis/bot/v2/hook/{FEISHU_HOOK}",
            "FEISHU_SECRET": FEISHU_SECRET,
            "WECOM_WEBHOOK_URL": f"{self.base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}",
            "TEAMS_WEBHOOK_URL": f"{self.base}/teams/workflows/run?sig={TEAMS_SIG}",
            "CIBRIDGE_WEBHOOK_URL": f"{self.base}/webhook/receive",
            "CIBRIDGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }

    def __enter__(self) -> StandIns:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of(self, service: str) -> list[Received]:
        return [r for r in self.received if r.service == service]

    # -- dispatch -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                service, status, body, headers = outer.answer(self.path, dict(self.headers), raw)
                # Recorded before answering, so a test sees it as soon as the client returns.
                with outer._lock:
                    outer.received.append(
                        Received(service, self.path, dict(self.headers), raw, status, body)
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def answer(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[str, int, bytes, dict[str, str]]:
        parts = urlsplit(path)
        service = parts.path.split("/")[1] if "/" in parts.path else ""
        if self.behaviour.throttle_next > 0:
            self.behaviour.throttle_next -= 1
            return service, 429, b"rate_limited", {"Retry-After": self.behaviour.retry_after}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        handlers = {
            "slack": self._slack,
            "dingtalk": self._dingtalk,
            "feishu": self._feishu,
            "wecom": self._wecom,
            "teams": self._teams,
            "webhook": self._webhook,
        }
        if service not in handlers:
            return service, 404, b"not found", {}
        status, body, extra = handlers[service](parts.path, query, headers, raw)
        out = body if isinstance(body, bytes) else json.dumps(body).encode()
        content_type = "text/plain" if isinstance(body, bytes) else "application/json"
        return service, status, out, {"Content-Type": content_type, **extra}

    # -- Slack ----------------------------------------------------------------------------

    def _slack(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Any:
        try:
            payload = json.loads(raw)
        except ValueError:
            return 400, b"invalid_payload", {}
        if path == SLACK_HOOK:
            error = self._slack_message_error(payload)
            return (400, error.encode(), {}) if error else (200, b"ok", {})
        if path.startswith("/slack/services/"):
            return 403, b"invalid_token", {}
        method = path.rsplit("/", 1)[-1]
        if headers.get("Authorization") != f"Bearer {SLACK_TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if method not in ("chat.postMessage", "chat.update"):
            return 404, {"ok": False, "error": "unknown_method"}, {}
        channel = SLACK_CHANNELS.get(str(payload.get("channel", "")))
        if channel is None:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        error = self._slack_message_error(payload)
        if error:
            return 200, {"ok": False, "error": error}, {}
        if method == "chat.update":
            key = f"{channel}/{payload.get('ts')}"
            if key not in self.behaviour.slack_messages:
                return 200, {"ok": False, "error": "message_not_found"}, {}
            self.behaviour.slack_messages[key] = payload
            return (
                200,
                {
                    "ok": True,
                    "channel": channel,
                    "ts": payload["ts"],
                    "text": payload.get("text", ""),
                },
                {},
            )
        thread = payload.get("thread_ts")
        if thread and f"{channel}/{thread}" not in self.behaviour.slack_messages:
            return 200, {"ok": False, "error": "thread_not_found"}, {}
        with self._lock:
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
        self.behaviour.slack_messages[f"{channel}/{ts}"] = payload
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": payload}, {}

    def _slack_message_error(self, payload: dict[str, Any]) -> str:
        if not payload.get("text") and not payload.get("blocks") and not payload.get("attachments"):
            return "no_text"
        groups = [payload.get("blocks")] if "blocks" in payload else []
        groups += [a.get("blocks") for a in payload.get("attachments") or [] if "blocks" in a]
        if sum(len(g) for g in groups if isinstance(g, list)) > 50:
            return "invalid_blocks"
        for group in groups:
            if _slack_block_errors(group):
                return "invalid_blocks"
        if len(json.dumps(groups, ensure_ascii=False)) > 13_200:
            return "msg_blocks_too_long"
        if len(str(payload.get("text", ""))) > 40_000:
            return "msg_too_long"
        return ""

    # -- DingTalk -------------------------------------------------------------------------

    def _dingtalk(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Any:
        if query.get("access_token") != DINGTALK_TOKEN:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, {}
        stamp, given = query.get("timestamp", ""), query.get("sign", "")
        if not stamp or not given:
            return 200, {"errcode": 310000, "errmsg": "sign not match" + _MORE}, {}
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3_600_000:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp" + _MORE}, {}
        digest = hmac.new(
            DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        )
        if not hmac.compare_digest(base64.b64encode(digest.digest()).decode(), given):
            return 200, {"errcode": 310000, "errmsg": "sign not match" + _MORE}, {}
        now = time.time()
        self._dingtalk_sent = [t for t in self._dingtalk_sent if now - t < 60]
        if len(self._dingtalk_sent) >= self.behaviour.dingtalk_per_minute:
            return (
                200,
                {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute" + _MORE},
                {},
            )
        try:
            payload = json.loads(raw)
            kind = payload["msgtype"]
            body = payload[kind]
            content = body["content"] if kind == "text" else body["text"]
            if kind in ("markdown", "actionCard") and not body.get("title"):
                raise KeyError("title")
        except (ValueError, KeyError, TypeError):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}, {}
        if len(str(content).encode()) > 20_000:
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}, {}
        keyword = self.behaviour.dingtalk_keyword
        if keyword and keyword not in str(content) and keyword not in str(body.get("title", "")):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content" + _MORE}, {}
        self._dingtalk_sent.append(now)
        return 200, {"errcode": 0, "errmsg": "ok"}, {}

    # -- Feishu ---------------------------------------------------------------------------

    def _feishu(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Any:
        if not path.endswith(f"/hook/{FEISHU_HOOK}"):
            return (
                200,
                {
                    "code": 19001,
                    "data": {},
                    "msg": "param invalid: incoming webhook access token invalid",
                },
                {},
            )
        try:
            payload = json.loads(raw)
        except ValueError:
            return 400, {"code": 9499, "data": {}, "msg": "Bad Request"}, {}
        stamp = str(payload.get("timestamp", ""))
        key = f"{stamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 3600
        if not fresh or not hmac.compare_digest(expected, str(payload.get("sign", ""))):
            return (
                200,
                {
                    "code": 19021,
                    "data": {},
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                },
                {},
            )
        if payload.get("msg_type") != "interactive" or not isinstance(payload.get("card"), dict):
            return 200, {"code": 9499, "data": {}, "msg": "Bad Request"}, {}
        if len(raw) > 20 * 1024:
            return 200, {"code": 9499, "data": {}, "msg": "request body too large"}, {}
        return (
            200,
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
            {},
        )

    # -- WeCom ----------------------------------------------------------------------------

    def _wecom(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Any:
        if query.get("key") != WECOM_KEY:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [standin]"}, {}
        try:
            payload = json.loads(raw)
            kind = payload["msgtype"]
            content = str(payload[kind]["content"])
        except (ValueError, KeyError, TypeError):
            return 200, {"errcode": 40008, "errmsg": "invalid message type, hint: [standin]"}, {}
        limit = {"markdown": 4096, "text": 2048}.get(kind)
        if limit is None:
            return 200, {"errcode": 40008, "errmsg": "invalid message type, hint: [standin]"}, {}
        if not content:
            return 200, {"errcode": 44004, "errmsg": "empty content, hint: [standin]"}, {}
        if len(content.encode()) > limit:
            return (
                200,
                {
                    "errcode": 40058,
                    "errmsg": f"{kind}.content exceed max length {limit}. "
                    "invalid Request Parameter, hint: [standin]",
                },
                {},
            )
        return 200, {"errcode": 0, "errmsg": "ok"}, {}

    # -- Teams ----------------------------------------------------------------------------

    def _teams(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Any:
        if query.get("sig") != TEAMS_SIG:
            return (
                401,
                {
                    "error": {
                        "code": "DirectApiAuthorizationRequired",
                        "message": "The request must be authenticated",
                    }
                },
                {},
            )
        if len(raw) > 28 * 1024:
            return (
                413,
                {"error": {"code": "MessageTooLarge", "message": "Message size exceeds 28 KB"}},
                {},
            )
        try:
            payload = json.loads(raw)
            attachment = payload["attachments"][0]
            card = attachment["content"]
            valid = (
                payload["type"] == "message"
                and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
                and card["type"] == "AdaptiveCard"
                and isinstance(card.get("body"), list)
                and str(card.get("version", "")) in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")
            )
            body_text = json.dumps(card.get("body"))
            for entity in (card.get("msteams") or {}).get("entities", []):
                # Teams drops a mention whose <at> text is not in the card, or that has no id.
                valid = valid and entity["text"] in body_text and bool(entity["mentioned"]["id"])
        except (ValueError, KeyError, TypeError, IndexError):
            valid = False
        if not valid:
            return (
                400,
                {
                    "error": {
                        "code": "InvalidRequestContent",
                        "message": "The request content is not a valid Adaptive Card message",
                    }
                },
                {},
            )
        return 202, b"", {}

    # -- generic webhook ------------------------------------------------------------------

    def _webhook(
        self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Any:
        given = headers.get("X-Cibridge-Signature-256", "")
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            return 401, {"error": "bad signature"}, {}
        return 200, {"received": True}, {}
