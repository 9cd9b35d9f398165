"""HTTP for every capability: one session per run, on ``requests``, imported on first use.

``transport`` (``Transport.request``: capped bodies, no credentials to another host, writes
never silently redirected), ``call`` (the request in flight, for retries and the
watchdog), ``session`` (retries honouring ``Retry-After``), ``faults`` (a network failure
as a clear error), ``settings`` (``HttpSettings`` from the environment), ``refusal`` (the
one place a redirect or non-2xx answer becomes an error), ``auth`` (Basic, Bearer, header
credentials), ``oauth`` (client credentials) and ``integration`` (an integration's
settings and the auth object they describe).
"""
