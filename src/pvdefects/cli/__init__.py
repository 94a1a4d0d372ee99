"""The ``pvdefects`` command line, one module per sub-command.

Each command imports what it runs (TensorFlow, Django, Optuna) inside its function rather than
at the top of its module: ``main`` imports every command module to build the parser, and this way
``pvdefects --help``, a command's ``--help`` and the server commands start without loading the
others' frameworks. Nothing else is imported lazily to break an import cycle (tests/test_layers.py).
"""
