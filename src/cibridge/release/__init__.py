"""One chat thread per release: found again by Slack message metadata, fed by every command.

The first command of a release posts the parent message; every later one, in any job,
workflow or pipeline, finds it again by its metadata (``cibridge_release`` with the key),
replies in its thread with its own result and updates the parent in place. The parent is
rebuilt from the thread's replies each time, so two commands that update it at once leave
no stage out. ``model`` holds the stages and the metadata, ``from_command`` turns a
command's result into its stage and reply, ``thread`` finds, creates, replies and
refreshes, ``service`` runs it for one command.
"""
