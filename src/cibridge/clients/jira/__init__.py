"""Jira's REST API, for every capability that talks to Jira.

Public surface: :class:`JiraClient` (issues, JQL search and history on both API versions,
transitions, comments, links, versions, issue properties), :class:`JiraError`, the one
:class:`Issue` model (with :class:`FixVersion` and :class:`Change`), ``jql`` (string
literals that never become syntax, what a search cost) and ``keys`` (issue keys in commit
messages and branch names).
"""

from cibridge.clients.jira.client import JiraClient, JiraError
from cibridge.clients.jira.issue import FIELDS, Change, FixVersion, Issue
from cibridge.clients.jira.jql import SearchCost

__all__ = [
    "FIELDS",
    "Change",
    "FixVersion",
    "Issue",
    "JiraClient",
    "JiraError",
    "SearchCost",
]
