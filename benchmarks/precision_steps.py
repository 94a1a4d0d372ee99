"""Training-step time of one net in float32 and in bfloat16, to decide what ``--precision auto`` picks.

    python benchmarks/precision_steps.py [--model resnet18] [--input-size 224] [--batch-size 32]
                                         [--steps 8] [--warmup 3]

Builds the model as ``pvdefects train`` does (``create_model`` under ``precision_policy``, AdamW,
the BCE loss), runs ``warmup`` training steps on one batch of random 300 px cells, then times
``steps`` more, in each precision, one after the other in this process. Prints the median seconds
per step and images/s of each and the CPU's bfloat16 flags; the figures go to
docs/hyperparameters.md, "Precision", by hand. Run it under the CPU lock.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import pvdefects  # noqa: E402, F401  (registers the custom layers)
from pvdefects.models import create_model  # noqa: E402
from pvdefects.precision import cpu_flags, precision_policy  # noqa: E402
from pvdefects.training.losses import MultiLabelLoss  # noqa: E402


def median_step_seconds(precision: str, args: argparse.Namespace) -> float:
    keras.utils.set_random_seed(0)
    with precision_policy(precision):
        model = create_model(args.model, 2, args.input_size)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=MultiLabelLoss())
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (args.batch_size, 300, 300, 1)).astype(np.float32)
    labels = rng.integers(0, 2, (args.batch_size, 2)).astype(np.float32)
    for _ in range(args.warmup):
        model.train_on_batch(images, labels)
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        model.train_on_batch(images, labels)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    flags = sorted(flag for flag in cpu_flags() if "bf16" in flag or flag.startswith("amx"))
    print(f"{args.model} {args.input_size} px, batch {args.batch_size}; bfloat16 flags: {flags or 'none'}")
    for precision in ("float32", "bfloat16"):
        seconds = median_step_seconds(precision, args)
        print(f"{precision:8s} {seconds:.3f} s/step  {args.batch_size / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
