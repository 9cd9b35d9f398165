"""Chat notifications: the message model, providers and delivery.

``message`` (events and statuses), ``settings`` (a provider's settings), ``mentions``,
``limits`` (each service's documented sizes), ``providers`` (one module per service
behind a Protocol, in an explicit registry), ``service`` (render, encode, send, read the
answer) and ``reporting``.
"""
