"""Peak memory of loading cells for training, by source resolution (issue 14 item 2).

    python benchmarks/load_memory.py [--cells 1600] [--sources 300 2000] [--input-size 224]

For each source size, ``--cells`` cells are written into a temporary folder with a labels CSV:
ELPV cells from the ``elpv-dataset`` package (synthetic ones without it) upscaled to that size,
16 distinct images hard-linked under every name (so writing them is quick; every file is still
decoded on its own). A fresh Python process then imports TensorFlow and pvdefects, notes its
resident memory, and does what ``train`` does before the first step: split the labels, load the
cells in split order into one array at the model's input size, build the training and validation
pipelines and draw from them (20 training batches and one validation pass). Its peak resident
memory (``ru_maxrss``) minus the memory after the imports is the figure reported. Writes the
"load-memory" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

DISTINCT = 16  # distinct images, hard-linked under every cell name
COMBINATIONS = [(0, 0), (1, 0), (0, 0), (1, 1), (0, 1), (0, 0), (1, 0), (0, 0)]  # crack, inactive


def source_cells(count: int) -> list:
    """``count`` 300x300 uint8 cells: ELPV's first ones, or synthetic ones without the package."""
    import numpy as np
    from PIL import Image

    from pvdefects.data.images import elpv_data_root

    root = elpv_data_root()
    if root is not None:
        return [
            np.asarray(Image.open(root / f"images/cell{i:04d}.png").convert("L")) for i in range(1, count + 1)
        ]
    rng = np.random.default_rng(0)
    return [rng.normal(150, 30, (300, 300)).clip(0, 255).astype(np.uint8) for _ in range(count)]


def write_cells(folder: Path, cells: int, size: int) -> Path:
    """``cells`` PNGs of ``size`` px (DISTINCT upscaled images, hard-linked) and their labels CSV."""
    from PIL import Image

    folder.mkdir(parents=True)
    originals = []
    for i, cell in enumerate(source_cells(DISTINCT)):
        originals.append(folder / f"source{i:02d}.png")
        Image.fromarray(cell).resize((size, size), Image.Resampling.BICUBIC).save(
            originals[-1], compress_level=1
        )
    rows = ["filename;crack;inactive"]
    for i in range(cells):
        name = f"cell{i:05d}.png"
        os.link(originals[i % DISTINCT], folder / name)
        crack, inactive = COMBINATIONS[i % len(COMBINATIONS)]
        rows.append(f"{name};{crack};{inactive}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder / "labels.csv"


def child(labels: str, input_size: int, batch_size: int) -> None:
    """In a fresh process: what ``train`` does before its first step; prints JSON figures."""
    import resource

    import tensorflow as tf  # noqa: F401  (its memory is part of the baseline)

    from pvdefects.data.pipeline import Augmentation, inference_dataset, training_dataset
    from pvdefects.data.sources import load_split, open_labels
    from pvdefects.data.split import train_val_split

    def resident_mib() -> float:
        return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024

    baseline = resident_mib()
    started = time.perf_counter()
    table, images_root = open_labels(labels)
    train_idx, val_idx = train_val_split(table.labels, 0.2, 0, table.class_names)
    train_set, val_set = load_split(table, images_root, input_size, train_idx, val_idx)  # as train does
    loaded = time.perf_counter() - started
    array_mib = (train_set.images.nbytes + val_set.images.nbytes) / 2**20
    stream = training_dataset(
        train_set.images, train_set.labels, batch_size, balance=0.5, augmentation=Augmentation()
    )
    for _ in stream.take(20):
        pass
    validation_batches = sum(1 for _ in inference_dataset(val_set.images, batch_size))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "baseline_mib": baseline,
                "peak_mib": peak,
                "array_mib": array_mib,
                "load_seconds": loaded,
                "validation_batches": validation_batches,
            }
        )
    )


def measure(cells: int, source: int, input_size: int, batch_size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="pvdefects-load-memory-") as scratch:
        labels = write_cells(Path(scratch) / f"cells{source}", cells, source)
        command = [sys.executable, __file__, "--child", str(labels), "--input-size", str(input_size)]
        output = subprocess.run(
            [*command, "--batch-size", str(batch_size)], check=True, capture_output=True, text=True
        ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    decoded_mib = cells * source * source / 2**20
    return {"source": source, "cells": cells, "decoded_mib": decoded_mib, **figures}


def report(results: list[dict], input_size: int, command: str) -> str:
    lines = [
        "## Peak memory of loading cells (`benchmarks/load_memory.py`)",
        "",
        f"`{command}` on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}. What `train` does before its first step at input size "
        f"{input_size}: split the labels 80/20, load the cells into one uint8 array (each resized on its "
        "own, as read, to the input size), draw 20 training batches (balanced, augmented) and one "
        "validation pass. "
        "Peak resident memory of a fresh process, less its memory after importing TensorFlow and "
        "pvdefects. Cells: ELPV cells upscaled to the source size (16 distinct images hard-linked).",
        "",
        "| source px | cells | decoded sources (MiB) | uint8 array at input size (MiB) "
        "| peak above baseline (MiB) | baseline (MiB) | load (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['source']} | {r['cells']} | {r['decoded_mib']:.0f} | {r['array_mib']:.0f} | "
            f"{r['peak_mib'] - r['baseline_mib']:.0f} | {r['baseline_mib']:.0f} | {r['load_seconds']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1600)
    parser.add_argument("--sources", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.input_size, args.batch_size)
        return
    results = []
    for source in args.sources:
        results.append(measure(args.cells, source, args.input_size, args.batch_size))
        print(json.dumps(results[-1]), flush=True)
    command = "python benchmarks/load_memory.py " + " ".join(sys.argv[1:])
    write_section("load-memory", report(results, args.input_size, command.strip()))


if __name__ == "__main__":
    main()
