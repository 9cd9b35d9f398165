"""One summary per CI run: every job of the run, grouped, with the failures and a verdict.

``groups`` turns the jobs the CI's API lists (``clients.run_jobs``) into the summary
(matrix jobs under their name, the run's own summary job left out, the overall result);
``service`` reads the jobs and builds it; ``reporting`` reports it. The message itself is
sent by the entry point through notify's providers, as every command's report is.
"""
