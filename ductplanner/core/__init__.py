"""The ground floor: errors, number formatting, typed settings and the one atomic write.

Everything above may import from here; nothing here imports the rest of ductplanner.
"""
