"""Jira updates for what a run ships: transitions, comments, links, versions, deployments.

``discover`` finds the issue keys (``clients.jira.keys``), ``settings`` where Jira is,
``transitions`` which transition reaches a status, ``markdown``/``inline``/``adf``/``wiki``
and ``sizing`` turn a comment into Jira's formats within its limits, ``comment`` renders
the comment template, ``deployments`` records a deployment in Jira Software, ``service``
updates each issue and ``reporting`` reports the result.
"""
