"""Discord's message limits, met by cutting with a note instead of being refused (50035).

From discord.com/developers/docs/resources/message#embed-object-embed-limits: content 2,000
characters; 10 embeds; per embed a title of 256, a description of 4,096, 25 fields with
names of 256 and values of 1,024, a footer of 2,048 and an author of 256; and 6,000 in
total across every embed's title, description, fields, footer and author.
"""

from __future__ import annotations

import json
from typing import Any

from cibridge.notify import limits

CONTENT = 2000
EMBEDS = 10
FIELDS = 25
TOTAL = 6000
TITLE, DESCRIPTION, FIELD_NAME, FIELD_VALUE, FOOTER, AUTHOR = 256, 4096, 256, 1024, 2048, 256
# A field's name and value must not be empty (50035 BASE_TYPE_REQUIRED): a dash instead.
EMPTY = "—"
NOTE = "_cibridge_note"  # marks (until sent) what fit() added to say what it left out


def fit(payload: dict[str, Any], reserve: int = 0) -> dict[str, Any]:
    """A copy of ``payload`` within every limit; ``reserve`` characters of content are
    kept free for the mentions appended after."""
    message: dict[str, Any] = json.loads(json.dumps(payload))
    notes: list[str] = []
    embeds = message.get("embeds")
    if isinstance(embeds, list):
        embeds[:] = [e for e in embeds if isinstance(e, dict)]
        if len(embeds) > EMBEDS:
            notes.append(f"({len(embeds) - EMBEDS + 1} more embeds not shown)")
            del embeds[EMBEDS - 1 :]
            embeds.append({"description": " ".join(notes), NOTE: True})
        for embed in embeds:
            _fit_embed(embed)
        _fit_total(embeds)
        for embed in embeds:
            embed.pop(NOTE, None)
            for field in embed.get("fields") or []:
                field.pop(NOTE, None)
    content = message.get("content")
    if content is not None:
        message["content"] = limits.chars(str(content), CONTENT - reserve)
    return message


def _fit_embed(embed: dict[str, Any]) -> None:
    for key in ("title", "description", "url"):
        if embed.get(key) == "":
            del embed[key]  # Discord takes a missing one, not an empty one
    _cut(embed, "title", TITLE)
    _cut(embed, "description", DESCRIPTION)
    for key, limit in (("footer", FOOTER), ("author", AUTHOR)):
        part = embed.get(key)
        if isinstance(part, dict):
            _cut(part, "text" if key == "footer" else "name", limit)
    fields = embed.get("fields")
    if not isinstance(fields, list):
        return
    fields[:] = [f for f in fields if isinstance(f, dict)]
    if len(fields) > FIELDS:
        more = len(fields) - FIELDS + 1
        del fields[FIELDS - 1 :]
        fields.append({"name": "…", "value": f"{more} more not shown", "inline": False, NOTE: True})
    for field in fields:
        for key, limit in (("name", FIELD_NAME), ("value", FIELD_VALUE)):
            field[key] = limits.chars(str(field.get(key) or "").strip() or EMPTY, limit)


def _cut(node: dict[str, Any], key: str, limit: int) -> None:
    if isinstance(node.get(key), str):
        node[key] = limits.chars(node[key], limit)


def _counted(embeds: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """Every (holder, key) whose text counts towards the 6,000 characters."""
    found: list[tuple[dict[str, Any], str]] = []
    for embed in embeds:
        found += [
            (embed, key) for key in ("title", "description") if isinstance(embed.get(key), str)
        ]
        footer, author = embed.get("footer"), embed.get("author")
        if isinstance(footer, dict) and isinstance(footer.get("text"), str):
            found.append((footer, "text"))
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            found.append((author, "name"))
        for field in embed.get("fields") or []:
            found += [(field, "name"), (field, "value")]
    return found


def _fit_total(embeds: list[dict[str, Any]]) -> None:
    counted = _counted(embeds)
    # What fit() says it left out stays whole; everything else shares the rest.
    notes = sum(len(holder[key]) for holder, key in counted if holder.get(NOTE))
    cuttable = [(holder, key) for holder, key in counted if not holder.get(NOTE)]
    texts = {str(index): holder[key] for index, (holder, key) in enumerate(cuttable)}
    if notes + sum(len(text) for text in texts.values()) <= TOTAL:
        return
    # Longest texts give way first (limits.shrink), so titles and labels stay whole.
    limits.shrink(texts, TOTAL - notes, lambda t: sum(len(v) for v in t.values()))
    for index, (holder, key) in enumerate(cuttable):
        holder[key] = texts[str(index)] or EMPTY
