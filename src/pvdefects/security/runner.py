"""The child process that runs an untrusted SavedModel: images in, 0/1 decisions out, nothing else.

    python -m pvdefects.security.runner [LIMITS] [--drop-to UID] MODEL_DIR IMAGES_NPY OUTPUT_DIR

It runs inside the sandbox (see ``sandbox.py``) and never sees labels: it writes the model's
``y`` for every image to ``OUTPUT_DIR/decisions.npy`` and the parent checks and scores them.
Any failure becomes one line in ``OUTPUT_DIR/error.txt`` and exit status 3. Only NumPy,
TensorFlow, the contract's names and the atomic writer (:mod:`pvdefects.contract`,
:mod:`pvdefects.atomic`: standard library only) are imported, besides the package's own
``__init__`` (which registers import hooks and sets ``TF_ENABLE_ONEDNN_OPTS``, standard library and
wrapt only), so that the sandbox needs nothing else of this package.
"""

from __future__ import annotations

import argparse
import os
import resource
from pathlib import Path
from typing import TYPE_CHECKING

from pvdefects.atomic import replacing
from pvdefects.contract import DECISIONS, INPUT, SIGNATURE

if TYPE_CHECKING:
    import numpy as np

DECISIONS_FILE = "decisions.npy"
ERROR_FILE = "error.txt"
FAILED = 3
# lines of TensorFlow's error messages that say where, not what
_WHERE = (
    "Graph execution error",
    "Detected at node",
    "<stack traces unavailable>",
    "File ",
    "[[",
    "Hint:",
    "[Op:",
)


def set_limits(memory_bytes: int, cpu_seconds: int, file_bytes: int, processes: int | None) -> None:
    """Hard rlimits for this process and all it starts; no core dumps (they could be piped out).

    RLIMIT_NPROC counts every process of the real user, so it is set only where the model runs as
    a user of its own (``--drop-to``); for another user it would count their desktop too.
    """
    limits = [
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_CORE, 0),
    ]
    if processes is not None:
        limits.append((resource.RLIMIT_NPROC, processes))
    for limit, value in limits:
        resource.setrlimit(limit, (value, value))


def drop_privileges(uid: int) -> None:
    """Become ``uid`` for good before touching the model (the sandbox starts us as root in its namespace)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def predict(model_dir: str, images_path: str, batch_size: int) -> np.ndarray:
    """The signature's ``y`` for the images (uint8 [N, H, W, 1] in an ``.npy``), batch by batch."""
    import numpy as np  # lazy, as in main: only after the limits and the drop
    import tensorflow as tf

    images = np.load(images_path, allow_pickle=False)
    model = tf.saved_model.load(model_dir)
    if SIGNATURE not in model.signatures:
        raise ValueError(f"the SavedModel has no {SIGNATURE!r} signature")
    serve = model.signatures[SIGNATURE]
    batches = []
    for start in range(0, len(images), batch_size):
        outputs = serve(**{INPUT: tf.constant(images[start : start + batch_size], tf.float32)})
        batches.append(np.asarray(outputs[DECISIONS]))
    return np.concatenate(batches)


def summary(error: Exception) -> str:
    """One line that says what went wrong: TensorFlow's messages start with where it happened."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    what = [line for line in lines if not line.startswith(_WHERE)] or lines or [""]
    return f"{type(error).__name__}: {what[0]}"[:300]


def write_atomically(path: Path, write) -> None:
    with replacing(path) as partial, open(partial, "wb") as stream:
        write(stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("images")
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--file-bytes", type=int, required=True)
    parser.add_argument("--drop-to", type=int, default=None, help="switch to this uid and gid first")
    args = parser.parse_args(argv)
    set_limits(
        args.memory_bytes,
        args.cpu_seconds,
        args.file_bytes,
        args.processes if args.drop_to is not None else None,
    )
    if args.drop_to is not None:
        drop_privileges(args.drop_to)
    import numpy as np  # only now: only this module and the light package __init__ run before the limits

    try:
        decisions = predict(args.model_dir, args.images, args.batch_size)
        write_atomically(
            args.output_dir / DECISIONS_FILE, lambda stream: np.save(stream, decisions, allow_pickle=False)
        )
    except Exception as error:  # noqa: BLE001 - whatever the model does, report one line and stop
        message = summary(error).encode()
        write_atomically(args.output_dir / ERROR_FILE, lambda stream: stream.write(message))
        return FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
