"""The CDEvents v0.5.1 JSON schemas (draft 2020-12, linked by ``$id``), shipped unchanged
(see SOURCE.md), and the check of one event against its type's schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibridge.core.errors import EXIT_USAGE, CibridgeError

if TYPE_CHECKING:
    import jsonschema

    from cibridge.events.model import Event

FOLDER = Path(__file__).parent


def schema_file(short_type: str) -> Path:
    return FOLDER / f"{short_type.replace('.', '')}.json"


@cache
def validator(short_type: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    documents: list[Any] = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in [*FOLDER.glob("*.json"), *FOLDER.glob("links/*.json")]
    ]
    schema = json.loads(schema_file(short_type).read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
    except ImportError:  # jsonschema before 4.18 (the lock's 4.17): its own resolver
        store = {document["$id"]: document for document in documents}
        resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver, format_checker=checker)
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents
    )
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)


def problems(document: Any, short_type: str) -> list[str]:
    found = validator(short_type).iter_errors(document)
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path) or '(event)'}: {error.message}"
        for error in found
    )


def check(event: Event) -> None:
    """Refuse an event its type's schema refuses, naming each problem."""
    found = problems(event.as_cdevent(), event.type)
    if found:
        raise CibridgeError(
            f"the {event.type} event does not match the CDEvents 0.5.1 schema: "
            + "; ".join(found[:5]),
            exit_code=EXIT_USAGE,
            hint=f"see {schema_file(event.type).name} of CDEvents 0.5.1 for its fields",
        )
