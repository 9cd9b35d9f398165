"""Requirement-driven deployments: Jira status, label and version rules start pipelines once.

``source`` says which issue a run is about, ``rules`` which pipelines it asks for, ``once``
whether each was already started, ``targets`` and ``dispatch`` where and how to start it,
``poll`` finds candidates without a webhook; ``service`` ties them together.
"""
