"""A thin client for a Mimir/Cortex-style ruler configuration API.

Grafana Mimir serves it under ``<base>/prometheus/config/v1/rules`` (``api: mimir``, the
default), Cortex also under its legacy ``<base>/api/v1/rules`` (``api: cortex``):

- ``GET  …/rules/{namespace}``: a YAML map ``namespace -> [groups]``; 404 ``no rule groups
  found`` when the namespace holds none;
- ``POST …/rules/{namespace}``: one rule group as YAML (``Content-Type: application/yaml``);
  202 ``{"status":"success"}``, 400 with the validation errors as plain text;
- ``DELETE …/rules/{namespace}/{groupName}``: 202; 404 ``group does not exist``.

(grafana/mimir pkg/ruler/api.go: ``CreateRuleGroup``, ``ListRules``, ``DeleteRuleGroup``,
``respondAccepted``.) A refusal raises :class:`RulerRefused` with the ruler's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cibridge.core.errors import EXIT_FAILURE, CibridgeError
from cibridge.http.refusal import refusal

if TYPE_CHECKING:
    from cibridge.http.auth import Auth
    from cibridge.http.transport import Response, Transport

PREFIXES = {"mimir": "/prometheus/config/v1/rules", "cortex": "/api/v1/rules"}
_HINTS = {
    401: "check the ruler's credentials (auth under integration_configs.monitoring.ruler, "
    "RULER_TOKEN or RULER_USER + RULER_PASSWORD) and its tenant (RULER_TENANT, sent as "
    "X-Scope-OrgID)",
    404: "check the ruler URL and api: (mimir serves /prometheus/config/v1/rules, cortex "
    "/api/v1/rules); the ruler must be enabled",
}
_HINTS[403] = _HINTS[401]


class RulerRefused(CibridgeError):
    """The ruler answered and refused (or the answer is not a ruler's)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message, exit_code=EXIT_FAILURE, hint=hint)


def _segment(text: str) -> str:
    return quote(text, safe="")


class RulerClient:
    def __init__(
        self,
        transport: Transport,
        base_url: str,
        *,
        api: str = "mimir",
        auth: Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.transport = transport
        self.rules_url = base_url.rstrip("/") + PREFIXES[api]
        self.auth = auth
        self.headers = dict(headers or {})

    def groups(self, namespace: str) -> dict[str, dict[str, Any]]:
        """The groups the namespace holds now, by name (none: an empty map)."""
        import yaml

        url = f"{self.rules_url}/{_segment(namespace)}"
        response = self._send("GET", url, None, "the ruler did not list its rules")
        if response.status == 404 and "no rule groups found" in response.text:
            return {}
        self._check(response, f"the ruler did not list namespace {namespace}")
        try:
            loaded = yaml.safe_load(response.text) or {}
        except yaml.YAMLError:
            loaded = None
        listed = loaded.get(namespace, []) if isinstance(loaded, dict) else None
        if not isinstance(listed, list) or not all(
            isinstance(group, dict) and group.get("name") for group in listed
        ):
            raise RulerRefused(
                f"the ruler's list of namespace {namespace} is not a YAML map of rule groups",
                hint=_HINTS[404],
            )
        return {str(group["name"]): group for group in listed}

    def set_group(self, namespace: str, group: dict[str, Any]) -> None:
        """Create or replace one group (the ruler keys it by its name)."""
        import yaml

        body = yaml.safe_dump(group, sort_keys=False, allow_unicode=True, width=4096)
        url = f"{self.rules_url}/{_segment(namespace)}"
        response = self._send(
            "POST",
            url,
            body.encode(),
            f"group {group['name']}",
            {"Content-Type": "application/yaml"},
        )
        self._check(response, f"the ruler refused group {group['name']}")

    def delete_group(self, namespace: str, name: str) -> None:
        url = f"{self.rules_url}/{_segment(namespace)}/{_segment(name)}"
        response = self._send("DELETE", url, None, f"group {name}")
        if response.status == 404 and "group does not exist" in response.text:
            return  # already gone: what deleting wanted
        self._check(response, f"the ruler did not delete group {name}")

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        what: str,
        extra: Mapping[str, str] | None = None,
    ) -> Response:
        headers = {**self.headers, **(extra or {})}
        return self.transport.request(
            method, url, data=body, headers=headers, auth=self.auth, what=f"ruler ({what})"
        )

    def _check(self, response: Response, what: str) -> None:
        refused = refusal(
            response, what, hint=_HINTS.get(response.status, "fix what the ruler names")
        )
        if refused is not None:
            raise RulerRefused(refused.message, hint=refused.hint)
