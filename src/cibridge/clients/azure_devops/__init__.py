"""Azure DevOps' REST API, for every capability that talks to Azure Boards.

Public surface: :class:`BoardsClient` (batch read, type states, JSON Patch updates,
comments), :class:`BoardsError`, the :class:`WorkItem` and :class:`State` models and
``refs`` (``AB#123`` references in commit messages, pull request text and branch names).
"""

from cibridge.clients.azure_devops.client import (
    API,
    BATCH_LIMIT,
    COMMENTS_API,
    BoardsClient,
    State,
    WorkItem,
    split_tags,
)
from cibridge.clients.azure_devops.errors import BoardsError

__all__ = [
    "API",
    "BATCH_LIMIT",
    "COMMENTS_API",
    "BoardsClient",
    "BoardsError",
    "State",
    "WorkItem",
    "split_tags",
]
