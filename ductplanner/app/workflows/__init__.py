"""One workflow per command: read the workspace, compute with the floors below, write, report.

Each returns a :class:`~ductplanner.core.result.Result` (the ``--json`` summary and the text);
the CLI only turns its arguments into the call.
"""
