"""cibridge: connect CI/CD pipelines to chat, Jira and monitoring."""

__version__ = "1.0.0"
