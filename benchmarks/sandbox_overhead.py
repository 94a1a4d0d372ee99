"""What sandboxed scoring of an untrusted model.zip costs over in-process evaluation; writes
docs/benchmarks.md.

    python benchmarks/sandbox_overhead.py [--labels ../shared/data/solar-cells/labels.csv] [--cells 400]
                                          [--model resnet18] [--input-size 224]

Uses the first ``--cells`` rows of the shared labels and an untrained model exported by
``pvdefects.export``; in process, the same model.zip is scored as ``pvdefects evaluate`` scores it.
Both paths start from the same decoded images; each is timed three times, side by side, and the
median is kept.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

SHARED_LABELS = ROOT.parent / "shared" / "data" / "solar-cells" / "labels.csv"


def median_time(function, repeats: int = 3) -> tuple[float, object]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=SHARED_LABELS)
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--input-size", type=int, default=224)
    args = parser.parse_args()
    if not args.labels.exists():
        sys.exit(f"skipped: {args.labels} is absent (the shared crack/inactive labels); pass --labels")

    import pvdefects  # noqa: F401, I001  (before Keras: turns TensorFlow's oneDNN kernels on)
    import keras

    from pvdefects.data.sources import load_dataset
    from pvdefects.evaluation.metrics import multilabel_metrics
    from pvdefects.export.savedmodel import export_classifier
    from pvdefects.inference.predictor import load_predictor
    from pvdefects.models import create_model
    from pvdefects.models.saving import ModelMetadata
    from pvdefects.security.archive import unpack_submission
    from pvdefects.security.graph_check import check_saved_model
    from pvdefects.security.sandbox import bubblewrap
    from pvdefects.security.score import predict_untrusted

    if bubblewrap() is None:
        sys.exit("skipped: bubblewrap is not installed (apt-get install bubblewrap)")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        rows = args.labels.read_text(encoding="utf-8-sig").splitlines()[: args.cells + 1]
        labels = folder / "labels.csv"
        labels.write_text("\n".join(rows) + "\n")  # images still resolve through the elpv-dataset package
        data = load_dataset(labels)
        keras.utils.set_random_seed(0)
        model = create_model(args.model, len(data.class_names), input_size=args.input_size)
        thresholds = [0.5] * len(data.class_names)
        metadata = ModelMetadata(data.class_names, thresholds, args.model, args.input_size)
        zip_path = export_classifier(model, metadata, folder / "model.zip")
        predictor = load_predictor(zip_path)

        in_process, reference = median_time(
            lambda: multilabel_metrics(data.labels, predictor.predict(data.images)[0], data.class_names)
        )
        sandboxed, decisions = median_time(lambda: predict_untrusted(zip_path, data.images, data.class_names))
        fixed, _ = median_time(lambda: predict_untrusted(zip_path, data.images[:1], data.class_names))
        checks, _ = median_time(
            lambda: check_saved_model(unpack_submission(zip_path, folder / f"u{time.time_ns()}"), "model.zip")
        )
        same = multilabel_metrics(data.labels, decisions, data.class_names) == reference
        size_mb = zip_path.stat().st_size / 1e6

    lines = [
        "## Sandboxed scoring overhead (`benchmarks/sandbox_overhead.py`)",
        "",
        f"Command: `python benchmarks/sandbox_overhead.py --cells {args.cells} --model {args.model} "
        f"--input-size {args.input_size}` on {platform.machine()} CPU, {os.cpu_count()} cores (shared with "
        f"other jobs); first {len(data)} rows of the shared labels, untrained {args.model} (input "
        f"{args.input_size}, model.zip {size_mb:.0f} MB), images decoded once beforehand for both paths; "
        "median of three runs each, side by side.",
        "",
        "| path | seconds | per cell |",
        "| --- | --- | --- |",
        f"| in-process evaluation of the model.zip (as `pvdefects evaluate` scores it) | {in_process:.1f} | "
        f"{1000 * in_process / len(data):.0f} ms |",
        f"| sandboxed scoring of the model.zip (all layers) | {sandboxed:.1f} | "
        f"{1000 * sandboxed / len(data):.0f} ms |",
        f"| of which archive checks, unpacking and the static graph check | {checks:.1f} | |",
        f"| sandboxed scoring of 1 cell (the fixed cost: checks, sandbox, TensorFlow import, model load) | "
        f"{fixed:.1f} | |",
        f"| overhead of sandboxed scoring | {sandboxed - in_process:+.1f} | "
        f"{1000 * (sandboxed - in_process) / len(data):+.0f} ms |",
        "",
        f"Same metrics on both paths: {'yes' if same else 'NO'}. Sandboxing costs a fixed {fixed:.1f} s per "
        "submission (checks, sandbox start, the child's own TensorFlow import and SavedModel load); the "
        f"other {sandboxed - fixed:.1f} s score the {len(data)} cells, against {in_process:.1f} s in "
        "process (the child and the parent run the same SavedModel graph).",
    ]
    write_section("sandbox-overhead", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
