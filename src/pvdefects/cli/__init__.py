"""The ``pvdefects`` command line."""
