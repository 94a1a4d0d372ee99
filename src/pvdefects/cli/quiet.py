"""Import TensorFlow without its start-up lines on stderr (CUDA probing, oneDNN notices).

Those lines are written by C++ code before any log level applies, so the only way to hide them is
to point file descriptor 2 elsewhere while TensorFlow loads. Errors still surface as exceptions.
"""

from __future__ import annotations

import os


def import_tensorflow_quietly() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
