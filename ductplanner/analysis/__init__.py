"""Analysis: coverage, co-digging opportunities and the figures the report shows.

GeoDataFrames in, tables and result objects out; no files.
"""
