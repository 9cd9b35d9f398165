"""The deployment gate: Prometheus checks, health checks and a rollback decision.

``settings`` (with ``values``) reads ``post_deployment_validation`` into typed checks,
``plan`` renders their placeholders (``promql`` escapes them for PromQL), ``source`` says
where Prometheus is and ``prometheus`` queries its HTTP API, ``evaluate`` turns results
into verdicts, ``health`` runs HTTP/TCP checks, ``service`` runs the whole gate into
``results``, and ``summary`` reports it (table, chart, JUnit, JSON). ``deploy_window``
wires the Alertmanager silence (``silence``) and the Pushgateway push (``pushgateway``),
found through ``peers``; ``rules`` writes alerting rules; ``demo`` is the demo's chapter.
"""
