"""Rendering: maps, forecast maps, letters and the report; data in, HTML out.

Nothing on this floor computes a figure that :mod:`ductplanner.analysis` does not provide.
"""
