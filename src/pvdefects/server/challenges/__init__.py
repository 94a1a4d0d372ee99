"""Challenges: dates, limits, the public and final test sets (label files outside any web root)."""
