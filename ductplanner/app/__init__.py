"""The applications: one workflow per command (read, compute, write) and the demo."""
