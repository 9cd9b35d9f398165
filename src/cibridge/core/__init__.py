"""The bottom layer: what every other part needs and nothing of cibridge below it.

``errors`` (the one error type, ``CibridgeError``, and the ``EXIT_*`` codes), ``log``
(verbose diagnostics), ``redact`` (every registered secret masked on the way out),
``credentials`` (the words that make a name a credential), ``urls`` (origins, user info,
secret parts of a URL), ``isotime`` (the one ISO 8601 reader and writer), ``durations``
(``30s``, ``1h30m``: the one parser and writer), ``untrusted`` (safe excerpts of text from
elsewhere) and ``signing`` (HMAC-SHA256 ``sha256=<hex>``).
"""
