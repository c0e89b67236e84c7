"""Files and the workspace: readers and field mappings, the workspace, audit reports, LER.

The only floor (beside the workflows in :mod:`ductplanner.app`) that touches files.
"""
