"""`archive-chat eval`: question files in, scored answers, metrics and reports out.

One job per module, imported one way only (questions, results, metrics → report → run), so no module needs
another's internals at import time.
"""
