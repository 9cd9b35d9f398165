"""Loads a template only from a file whose real path is inside the folder it was found in.

A repository's templates may come from a pull request: a symlink to /proc/self/environ or
~/.ssh/id_rsa must not be read, however the template names it (render, include, extends,
import).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from cibridge.core.errors import CibridgeError

MAX_TEMPLATE_BYTES = 256 * 1024
_OUTSIDE = "symlinks/paths outside the template folder are not followed"

Source = tuple[str, str, Callable[[], bool]]


class ConfinedLoader(jinja2.BaseLoader):
    """Searches ``folders`` in order; ``explicit`` is a (name, file) the user chose by path.

    ``loaded`` collects the file names given to Jinja, so an error's traceback can be
    matched to the template it came from.
    """

    def __init__(self, folders: list[Path], explicit: tuple[str, Path] | None = None) -> None:
        self.folders = folders
        self.explicit = explicit
        self.loaded: set[str] = set()

    def get_source(self, environment: jinja2.Environment, template: str) -> Source:
        if self.explicit is not None and template == self.explicit[0]:
            return self._load(template, self.explicit[1], self.explicit[1])
        pieces = split_template_path(template)  # refuses ".." and absolute names
        for folder in self.folders:
            candidate = os.path.join(folder, *pieces)
            if not os.path.isfile(candidate):  # also skips FIFOs and devices, which could block
                continue
            real = os.path.realpath(candidate)
            if not _is_within(real, os.path.realpath(folder)):
                raise CibridgeError(
                    f"template {template!r} in {folder} resolves to {real}, outside that "
                    f"folder: {_OUTSIDE}",
                    hint=f"copy the file into {folder} instead of linking to it, or remove "
                    "the link",
                )
            return self._load(template, Path(candidate), Path(real))
        raise jinja2.TemplateNotFound(template)

    def _load(self, template: str, shown: Path, real: Path) -> Source:
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)
            mtime = os.path.getmtime(real)
        except OSError as error:
            raise CibridgeError(
                f"template {template!r}: cannot read {shown}: {error.strerror}",
                hint="check the file exists and is readable",
            ) from None
        if len(data) > MAX_TEMPLATE_BYTES:
            raise CibridgeError(
                f"template {template!r} ({shown}) is larger than {MAX_TEMPLATE_BYTES // 1024} KiB",
                hint="split it into smaller templates with {% include %} or {% extends %}",
            )
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CibridgeError(
                f"template {template!r} ({shown}) is not UTF-8 text (byte {error.start})",
                hint="save the file as UTF-8",
            ) from None
        self.loaded.add(str(shown))

        def uptodate() -> bool:
            try:
                return os.path.getmtime(real) == mtime
            except OSError:
                return False

        return source, str(shown), uptodate


def _is_within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False
