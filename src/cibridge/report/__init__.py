"""How results leave a command, whichever capability produced them.

``outputs`` (``publish``: outputs first, then the step summary; log lines; list outputs
that fit GitLab's dotenv report), ``junit`` (JUnit XML) and ``files`` (report files
written where the user asked).
"""
