"""``cibridge demo``: the whole flow against loopback stand-ins, no credentials needed.

``run`` (every chapter, then what each stand-in received), ``stage`` (what the entry point
hands the chapters), one chapter per capability (``jira``, ``trigger``, ``gate``) and
``standins`` (strict loopback stand-ins for the SaaS services; the tests use them too).
The only package that imports the stand-ins.
"""
