"""Templates to data: Jinja in a sandbox with StrictUndefined, rendered first, then encoded.

``engine`` (``render``: template search path, built-ins, the result parsed as YAML or
text), ``loader`` (templates confined to their folders), ``cache`` (compiled templates),
``budget`` and ``limits`` (bounds on time, size and loops), ``data`` (placeholders in
queries and URLs), ``filters`` (the filters templates may use) and ``labels`` (the
English and Chinese words templates show).
"""
