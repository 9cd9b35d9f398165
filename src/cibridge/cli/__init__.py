"""The entry points: the only layer that reads the command line and the process environment.

``main`` (``cibridge``: the parser, one error handler, outputs on failure), ``action``
(``cibridge-step``: a composite action's inputs, from ``env:``, as a command line),
``runtime`` (what one invocation knows: platform, configuration, context, transport) and
``commands`` (one module per command: its arguments, and a ``run`` that builds a request
and the dependencies, calls the capability's ``service.run`` and reports the result).
"""
