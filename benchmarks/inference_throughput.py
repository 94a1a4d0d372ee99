"""Inference throughput of the exported submission (model.zip) of each reference architecture on this CPU.

    python benchmarks/inference_throughput.py [--models resnet18 alexnet] [--runs 5] [--warmup 2]

Untrained weights (the speed does not depend on them): each model is built with create_model at its
recommended input size, exported and reloaded exactly as ``pvdefects export`` does it, then fed
batches of 32 random 300x300 cells through the ``serving_default`` signature. Reports the median
of the timed runs after the warm-up calls; writes the "inference" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402
from train_reference import RECOMMENDED  # noqa: E402

BATCH = 32
CELL = 300
CLASSES = ["crack", "inactive"]


def measure(name: str, runs: int, warmup: int) -> dict:
    """Export ``name`` untrained, reload it and time the signature on one batch of cells."""
    import numpy as np

    from pvdefects.export.savedmodel import export_classifier
    from pvdefects.inference.savedmodel import load_submission
    from pvdefects.models import create_model
    from pvdefects.models.saving import ModelMetadata

    input_size = RECOMMENDED[name]["input_size"]
    model = create_model(name, len(CLASSES), input_size)
    with tempfile.TemporaryDirectory() as scratch:
        zip_path = export_classifier(
            model, ModelMetadata(CLASSES, [0.5] * len(CLASSES), name, input_size), Path(scratch) / "model.zip"
        )
        size_mb = zip_path.stat().st_size / 1e6
        served = load_submission(zip_path)
    batch = np.random.default_rng(0).uniform(0, 255, (BATCH, CELL, CELL, 1)).astype(np.float32)
    for _ in range(warmup):
        served(batch)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        served(batch)
        seconds.append(time.perf_counter() - started)
    median = float(np.median(seconds))
    return {
        "name": name,
        "input_size": input_size,
        "zip_mb": size_mb,
        "images_per_s": BATCH / median,
        "ms_per_batch": 1000 * median,
        "spread": (1000 * min(seconds), 1000 * max(seconds)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(RECOMMENDED), choices=list(RECOMMENDED))
    parser.add_argument("--runs", type=int, default=5, help="timed runs per model (the median is reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls first (tracing, allocation)")
    args = parser.parse_args()

    rows = [measure(name, args.runs, args.warmup) for name in args.models]
    load = os.getloadavg()[0]
    lines = [
        "## Inference throughput of the exported model.zip (`benchmarks/inference_throughput.py`)",
        "",
        f"Command: `python benchmarks/inference_throughput.py --models {' '.join(args.models)} --runs "
        f"{args.runs} --warmup {args.warmup}` on {platform.machine()} CPU, {os.cpu_count()} cores (load "
        f"average {load:.1f} at the end: the machine was shared, so treat the figures as lower bounds). "
        f"Untrained weights; the SavedModel's `serving_default` signature on batches of {BATCH} random "
        f"{CELL}x{CELL} cells (resized inside the model); median of {args.runs} timed runs after "
        f"{args.warmup} warm-up calls.",
        "",
        "| model | input size | model.zip | images/s | ms per batch of 32 (min-max) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        low, high = row["spread"]
        lines.append(
            f"| {row['name']} | {row['input_size']} | {row['zip_mb']:.1f} MB | "
            f"**{row['images_per_s']:.1f}** | {row['ms_per_batch']:.0f} ({low:.0f}-{high:.0f}) |"
        )
    write_section("inference", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
