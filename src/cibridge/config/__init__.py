"""Settings: the configuration file, its schema, secrets and the environment.

``loader`` (``Config``: ``.cibridge.yml`` found, merged, resolved, values that remember
their file and line), ``schema`` (the JSON Schema and the YAML reader), ``secrets``
(``*_ref`` from the environment or ``$CIBRIDGE_SECRETS_DIR``), ``encryption`` (Fernet
``enc:`` values), ``on_demand`` (cryptography installed when a command first needs it) and
``variables`` — the one table of environment variables that redaction, the action inputs,
the demo's filter and the reference page derive from.
"""
