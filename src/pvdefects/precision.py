"""Which floating-point precision a model computes in: ``float32``, or ``bfloat16`` with float32 weights.

``bfloat16`` is Keras' ``mixed_bfloat16`` dtype policy: layers compute in bfloat16 while their
variables (weights, batch-norm statistics) stay float32, and batch norm upcasts its input to
float32 itself. The models pin what must stay float32 to float32 (the preprocessing layers and the
logits, :mod:`pvdefects.models.registry`), so the loss, the scores and an exported signature are
float32 at the edges. bfloat16 keeps float32's exponent range, so unlike float16 it needs no loss
scaling (Keras' mixed policy adds none for it).

``auto`` picks bfloat16 where the hardware computes it natively: a CPU with AVX-512 BF16 or AMX
(``avx512_bf16`` or ``amx_bf16`` in ``/proc/cpuinfo``: Intel Cooper Lake, Sapphire Rapids and
later, AMD Zen 4 and later) or a GPU of compute capability 8.0 or more (Ampere and later), and
float32 elsewhere (without those instructions bfloat16 is converted in software; not measured
here). Measured on a 2-core AMD EPYC (Zen 4,
AVX-512 BF16, no AMX): resnet18 at 224 px, batch 32, trains at 43.8 images/s in bfloat16 against
30.2 in float32 (docs/hyperparameters.md, "Precision"), so AVX-512 BF16 alone is reason enough.

Whatever the precision, the package turns TensorFlow's oneDNN kernels on for x86-64 Linux when it
is imported before TensorFlow (:func:`enable_onednn`); TensorFlow itself enables them only on CPUs
with AVX-512 VNNI or BF16, AVX-VNNI or AMX.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pvdefects.errors import UserError

PRECISIONS = ("auto", "float32", "bfloat16")
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}  # precision -> Keras dtype policy
CPUINFO = Path("/proc/cpuinfo")
FAST_BFLOAT16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
FAST_BFLOAT16_GPU = (8, 0)  # CUDA compute capability: Ampere and later have bfloat16 tensor cores
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def enable_onednn() -> None:
    """Set ``TF_ENABLE_ONEDNN_OPTS=1`` on x86-64 Linux unless the environment sets it already.

    TensorFlow runs its oneDNN kernels by default only on Linux CPUs with AVX-512 VNNI or BF16,
    AVX-VNNI or AMX (``DefaultOneDnnPolicy`` in its ``tensorflow/core/util/port.cc``), yet they also
    train faster on CPUs with AVX2 alone: on a 2-core AMD EPYC without AVX-512, float32, batch 32 at
    224 px, efficientnet_lite0 trained at 17.8 images/s against 10.2 and resnet18 at 18.0 against
    12.8 (``benchmarks/precision_steps.py``, docs/hyperparameters.md, "Precision"). Where TensorFlow
    enables them anyway, this changes nothing. It acts only before TensorFlow is imported;
    ``TF_ENABLE_ONEDNN_OPTS=0`` in the environment keeps them off. Once TensorFlow is loaded the
    environment is left alone, so that it does not claim a setting the process does not have.
    """
    if onednn_applies() and "tensorflow" not in sys.modules:
        os.environ.setdefault(ONEDNN_VARIABLE, "1")


def onednn_applies() -> bool:
    """Whether :func:`enable_onednn` sets anything here: on x86-64 Linux, where it was measured."""
    return sys.platform == "linux" and platform.machine() == "x86_64"


def cpu_flags(cpuinfo: Path | None = None) -> frozenset[str]:
    """The CPU's feature flags (the ``flags`` line of ``cpuinfo``, by default :data:`CPUINFO`); empty
    where there is none (macOS, Windows)."""
    try:
        text = (cpuinfo or CPUINFO).read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def gpu_has_fast_bfloat16() -> bool:
    """Whether TensorFlow sees a GPU of compute capability :data:`FAST_BFLOAT16_GPU` or more."""
    import tensorflow as tf  # lazy: the CLI imports this module (the settings' choices) for --help

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability is not None and tuple(capability) >= FAST_BFLOAT16_GPU:
            return True
    return False


def resolve_precision(name: str, flags: frozenset[str] | None = None) -> str:
    """``float32`` or ``bfloat16`` for the precision setting ``name`` (one of :data:`PRECISIONS`).

    ``auto`` is bfloat16 where the CPU has one of :data:`FAST_BFLOAT16_CPU_FLAGS` (``flags``, by
    default read from ``/proc/cpuinfo``) or a GPU is fast at it, else float32. Raises
    :class:`UserError` for an unknown name.
    """
    if name not in PRECISIONS:
        raise UserError(f"precision must be one of {', '.join(PRECISIONS)}; got {name!r}")
    if name != "auto":
        return name
    flags = cpu_flags() if flags is None else flags
    return "bfloat16" if flags & FAST_BFLOAT16_CPU_FLAGS or gpu_has_fast_bfloat16() else "float32"


def model_precision(model) -> str:
    """``bfloat16`` if any layer of the Keras ``model`` computes in bfloat16, else ``float32``."""
    return "bfloat16" if any(layer.compute_dtype == "bfloat16" for layer in model.layers) else "float32"


@contextmanager
def precision_policy(name: str) -> Iterator[str]:
    """Build models inside this block in precision ``name`` (resolved, see :func:`resolve_precision`;
    the resolved name is yielded): Keras' global dtype policy is set, and the previous one restored
    on leaving. Layers take the policy when they are created, so a model built inside keeps it."""
    import keras  # lazy, as above

    precision = resolve_precision(name)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[precision])
    try:
        yield precision
    finally:
        keras.config.set_dtype_policy(previous)
