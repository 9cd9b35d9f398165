"""Events no transport took, kept as files until ``cibridge events flush`` delivers them:
``<spool>/<transport>/<event id>.json``, one file per event and transport, so an event
spooled twice is one file and a flush sends it once."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cibridge.core.errors import CibridgeError
from cibridge.core.private import private_folder
from cibridge.events.model import Event, NotACDEvent, from_cdevent

MAX_FILE = 1_048_576  # an event is a few KB; anything this large was not written by cibridge


def folder(spool: Path, transport: str) -> Path:
    where = spool / transport
    # Written by one job and sent by another: a folder someone else can write could hand
    # the flush events nobody published.
    problem = private_folder(spool) or private_folder(where)
    if problem:
        raise CibridgeError(
            f"the events spool {where} cannot be used: {problem}",
            hint="set CIBRIDGE_EVENTS_SPOOL to a folder of this job's own",
        )
    return where


def keep(spool: Path, transport: str, events: Sequence[Event]) -> Path:
    where = folder(spool, transport)
    for event in events:
        handle, staging = tempfile.mkstemp(dir=where, prefix=".staging-")
        with os.fdopen(handle, "wb") as out:
            out.write(event.json())
        os.replace(staging, where / f"{_file_name(event.id)}.json")
    return where


def kept(spool: Path, transport: str) -> Iterator[tuple[Path, Event | str]]:
    """Each spooled file with its event, or why it is not one (left in place)."""
    where = spool / transport
    if not where.is_dir():
        return
    for path in sorted(where.glob("*.json")):
        if path.is_symlink() or not path.is_file():
            yield path, "not a regular file"
            continue
        if path.stat().st_size > MAX_FILE:
            yield path, "larger than 1 MB"
            continue
        try:
            yield path, from_cdevent(json.loads(path.read_bytes()))
        except (ValueError, NotACDEvent) as error:
            yield path, f"not a CDEvent: {str(error)[:120]}"


def transports(spool: Path) -> list[str]:
    if not spool.is_dir():
        return []
    return sorted(p.name for p in spool.iterdir() if p.is_dir() and not p.is_symlink())


def _file_name(event_id: str) -> str:
    # An id read back from a file is data: it names a file in the spool and nothing else.
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in event_id)[:120] or "event"
