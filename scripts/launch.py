"""Starts a cibridge action step without the working directory on Python's import path.

`python -m cibridge.cli.action` puts the current folder first on ``sys.path``, and an action
step runs in the workspace, which may hold a pull request's files: a ``cibridge/``,
``yaml/`` or ``shlex.py`` there would run instead of ours, with the step's secrets in the
environment. A script puts its own folder there instead (this one, ours), and that entry is
dropped before anything else is imported, so only PYTHONPATH (src/, bundle/) and the
interpreter's own folders are searched. This works on every Python cibridge supports; `-P`
does the same only from 3.11 on. The steps also set PYTHONSAFEPATH=1, so a Python started
from this one (the on-demand installer's `python -m pip`) skips the working folder too; with
it, 3.11 and later put no folder first, and there is nothing to drop.
"""

import sys

if not getattr(sys.flags, "safe_path", False):
    del sys.path[0]

from cibridge.cli.action import main_entry

main_entry()
