"""What a run is about, the same for every platform.

``model`` (``Context``: repository, commit, branch, run, actor, status, commits, pull
request), ``job_status`` (one vocabulary of job statuses, mapped from each platform and to
each target API), ``gitlog`` and ``payload`` (commits from git and from event payloads),
``sample`` (a context for previews) and ``platforms`` (GitHub, GitLab, local: reading the
run, writing outputs, summaries and annotations).
"""
