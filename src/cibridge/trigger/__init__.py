"""Requirement-driven deployments: Jira status, label and version rules start pipelines once.

``source`` says which issue a run is about, ``rules`` which pipelines it asks for, ``once``
whether each was already started (the record kept in an issue property), ``targets`` what
a dispatch carries (``cibridge.clients.targets`` says where it starts), ``poll`` finds
candidates without a webhook, ``signature`` checks a webhook body; ``service`` ties them
together and ``reporting`` reports the result.
"""
