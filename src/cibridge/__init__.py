"""cibridge: connect CI/CD pipelines to chat, Jira and monitoring."""

__version__ = "0.1.0"
