"""The deployment gate: Prometheus checks, health checks and a rollback decision.

``settings`` (with ``values``) reads ``post_deployment_validation`` into typed checks,
``plan`` renders their placeholders (``promql`` escapes them for PromQL), ``source`` says
where Prometheus is, ``evaluate`` turns query results into verdicts, ``health`` runs
HTTP/TCP checks, ``service`` runs the whole gate into ``results``, ``summary`` and
``reporting`` report it (table, chart, JUnit, JSON, outputs). ``deploy_window`` holds an
Alertmanager silence while the gate runs and pushes the verdict (``markers``), both found
through ``peers``; ``rules`` writes alerting rules from the checks.
"""
