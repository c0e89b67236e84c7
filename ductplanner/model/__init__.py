"""The data model: layer schemas and their validation, scenarios, the street network.

Pure data and rules; no files are read or written on this floor.
"""
