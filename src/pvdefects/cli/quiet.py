"""Import TensorFlow without its log lines on stderr (CUDA probing, oneDNN notices, cuInit errors).

Some lines are written by C++ code while TensorFlow loads, before any log level applies, so file
descriptor 2 points elsewhere during the import. Later ones, such as the "failed call to cuInit"
error that a machine without a GPU prints at the first operation, obey ``TF_CPP_MIN_LOG_LEVEL``,
set here to 3 (fatal only) unless the environment sets it. Errors still surface as Python
exceptions. ``pvdefects --verbose`` skips all of this.
"""

from __future__ import annotations

import os


def import_tensorflow_quietly() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
