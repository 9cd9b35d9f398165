"""Jira: issue keys in what a run ships, comment bodies, and the service that updates issues."""
