"""The services cibridge calls, one module each, on the run's ``http.Transport``.

``jira`` (issues, search, history, transitions, comments, links, versions, properties;
one ``Issue`` model), ``prometheus`` (instant and range queries), ``alertmanager``
(silences), ``pushgateway`` (metric families pushed to a group) and ``pipelines``
(starting a GitHub workflow or a GitLab pipeline). Clients know their service's API and
errors, never a capability's rules.
"""
