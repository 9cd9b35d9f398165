"""What Discord checks in a webhook message body, as its ``errors`` tree (50035).

The limits are Discord's (discord.com/developers/docs/resources/message#embed-object-
embed-limits); each error is written where Discord writes it, with its code and message:
``{"embeds": {"0": {"title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", ...}]}}}}``.
"""

from __future__ import annotations

import re
from typing import Any

_URL = re.compile(r"https?://[^\s/?#]+[^\s]*")
_SNOWFLAKE = re.compile(r"[0-9]{1,20}")
PARSE = frozenset({"roles", "users", "everyone"})


def _error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> dict[str, Any]:
    return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


REQUIRED = _error("BASE_TYPE_REQUIRED", "This field is required")


def _text(
    node: dict[str, Any], key: str, limit: int, errors: dict[str, Any], *, required: bool = False
) -> int:
    value = node.get(key)
    if value is None:
        if required:
            errors[key] = REQUIRED
        return 0
    if not isinstance(value, str):
        errors[key] = _error("STRING_TYPE_CONVERT", "Could not interpret the value as string.")
        return 0
    if required and not value.strip():
        errors[key] = REQUIRED
    elif len(value) > limit:
        errors[key] = _too_long(limit)
    return len(value)


def _embed(embed: Any) -> tuple[dict[str, Any], int]:
    """The errors of one embed, and its characters towards the 6,000."""
    if not isinstance(embed, dict):
        return _error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"), 0
    errors: dict[str, Any] = {}
    size = _text(embed, "title", 256, errors) + _text(embed, "description", 4096, errors)
    color = embed.get("color")
    if color is not None and (
        isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= 0xFFFFFF
    ):
        errors["color"] = _error(
            "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215."
        )
    if "url" in embed and not (isinstance(embed["url"], str) and _URL.fullmatch(embed["url"])):
        errors["url"] = _error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
        part = embed.get(key)
        if part is not None:
            part_errors: dict[str, Any] = {}
            size += _text(
                part if isinstance(part, dict) else {}, inner, limit, part_errors, required=True
            )
            if part_errors:
                errors[key] = part_errors
    fields = embed.get("fields")
    if fields is not None:
        field_errors: dict[str, Any] = {}
        if not isinstance(fields, list):
            field_errors = _error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        elif len(fields) > 25:
            field_errors = _too_long(25)
        else:
            for index, field in enumerate(fields):
                one: dict[str, Any] = {}
                field = field if isinstance(field, dict) else {}
                size += _text(field, "name", 256, one, required=True)
                size += _text(field, "value", 1024, one, required=True)
                if "inline" in field and not isinstance(field["inline"], bool):
                    one["inline"] = _error("BOOLEAN_TYPE_CONVERT", "Must be either true or false.")
                if one:
                    field_errors[str(index)] = one
        if field_errors:
            errors["fields"] = field_errors
    return errors, size


def _allowed_mentions(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return _error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    errors: dict[str, Any] = {}
    parse = value.get("parse", [])
    if not isinstance(parse, list) or not set(parse) <= PARSE:
        errors["parse"] = _error(
            "ENUM_TYPE_COERCE", "Value must be one of {'roles', 'users', 'everyone'}."
        )
    for kind in ("users", "roles"):
        ids = value.get(kind, [])
        if (
            not isinstance(ids, list)
            or len(ids) > 100
            or not all(isinstance(i, str) and _SNOWFLAKE.fullmatch(i) for i in ids)
        ):
            errors[kind] = _error("BASE_TYPE_BAD_LENGTH", "Must be between 0 and 100 in length.")
        elif ids and isinstance(parse, list) and kind in parse:
            errors["parse"] = _error(
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )
    return errors


def body_errors(body: Any, *, edit: bool = False) -> dict[str, Any]:
    """Discord's ``errors`` for a message body; {} when it would be accepted."""
    if not isinstance(body, dict):
        return _error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    errors: dict[str, Any] = {}
    _text(body, "content", 2000, errors)
    _text(body, "thread_name", 100, errors)
    if edit and "thread_name" in body:
        errors["thread_name"] = _error("UNKNOWN_FIELD", "This field cannot be edited.")
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errors["embeds"] = _error(
                "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"
            )
        elif len(embeds) > 10:
            errors["embeds"] = _too_long(10)
        else:
            found: dict[str, Any] = {}
            total = 0
            for index, embed in enumerate(embeds):
                embed_errors, size = _embed(embed)
                total += size
                if embed_errors:
                    found[str(index)] = embed_errors
            if not found and total > 6000:
                found = _error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
            if found:
                errors["embeds"] = found
    if "allowed_mentions" in body:
        mentions = _allowed_mentions(body["allowed_mentions"])
        if mentions:
            errors["allowed_mentions"] = mentions
    return errors


def pings(body: dict[str, Any]) -> tuple[list[str], list[str], bool]:
    """Who the content would ping under its allowed_mentions: users, roles, @everyone.
    Without allowed_mentions Discord pings everything the content mentions."""
    content = str(body.get("content") or "")
    users = re.findall(r"<@!?([0-9]+)>", content)
    roles = re.findall(r"<@&([0-9]+)>", content)
    everyone = "@everyone" in content or "@here" in content
    allowed = body.get("allowed_mentions")
    if not isinstance(allowed, dict):
        return users, roles, everyone
    parse = allowed.get("parse") or []
    users = [u for u in users if "users" in parse or u in (allowed.get("users") or [])]
    roles = [r for r in roles if "roles" in parse or r in (allowed.get("roles") or [])]
    return users, roles, everyone and "everyone" in parse
