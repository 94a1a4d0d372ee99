"""Does test-time augmentation lift a trained run's validation F1? Write the answer to docs/benchmarks.md.

    python benchmarks/tta_validation.py [RUN ...]   (default: runs/benchmark/resnet18/seed-*)

Scores each run's validation cells (its own split, from its config.json) with its best model once
as they are and once averaged over the 8 flips and quarter turns (``--tta`` of ``pvdefects
predict``), tunes per-class thresholds on those scores as training does, and tables mean F1 both
ways. No training: a few minutes per run on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402


def validation_f1(run: Path) -> dict[str, float]:
    """Mean F1 of ``run``'s best model on its validation cells, without and with TTA, at tuned
    thresholds and at 0.5."""
    from pvdefects.data.sources import load_dataset
    from pvdefects.decisions import apply_thresholds
    from pvdefects.evaluation.metrics import multilabel_metrics
    from pvdefects.evaluation.thresholds import tune_thresholds
    from pvdefects.inference.predictor import load_predictor
    from pvdefects.training.config import load_config_file
    from pvdefects.training.trainer import split_indices

    config = load_config_file(run / "config.json")
    data = load_dataset(config.labels, config.images_root)
    validation = data.subset(split_indices(data.labels, config)[1])
    predictor = load_predictor(run / "model.keras")
    figures = {}
    for name, tta in (("plain", False), ("tta", True)):
        scores = predictor.predict(validation.images, config.batch_size, tta)[1]
        for at, thresholds in (
            ("tuned", tune_thresholds(validation.labels, scores)),
            ("0.5", [0.5] * len(data.class_names)),
        ):
            predicted = apply_thresholds(scores, thresholds)
            figures[f"{name} {at}"] = multilabel_metrics(validation.labels, predicted, data.class_names)[
                "mean_f1"
            ]
    return figures


def section(rows: dict[Path, dict[str, float]], command: str) -> str:
    lines = [
        "## Test-time augmentation on validation (`benchmarks/tta_validation.py`)",
        "",
        f"Command: `{command}` on {platform.machine()} CPU, {os.cpu_count()} cores. Each run's best model "
        "scores its own validation cells as they are and averaged over the 8 flips and quarter turns; "
        "per-class thresholds are tuned on those scores (mean F1 at 0.5 in brackets).",
        "",
        "| run | mean F1 (at 0.5) | with 8-view TTA (at 0.5) | Δ |",
        "| --- | --- | --- | --- |",
    ]
    for run, f in rows.items():
        lines.append(
            f"| {run} | {f['plain tuned']:.3f} ({f['plain 0.5']:.3f}) | {f['tta tuned']:.3f} "
            f"({f['tta 0.5']:.3f}) | {f['tta tuned'] - f['plain tuned']:+.3f} |"
        )
    if len(rows) > 1:
        mean = {key: float(np.mean([f[key] for f in rows.values()])) for key in next(iter(rows.values()))}
        lines.append(
            f"| mean of {len(rows)} | {mean['plain tuned']:.3f} ({mean['plain 0.5']:.3f}) | "
            f"{mean['tta tuned']:.3f} ({mean['tta 0.5']:.3f}) | "
            f"{mean['tta tuned'] - mean['plain tuned']:+.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", type=Path, nargs="*")
    args = parser.parse_args()
    runs = args.runs or sorted(Path("runs/benchmark/resnet18").glob("seed-*"))
    if not runs:
        sys.exit("no runs given and none in runs/benchmark/resnet18/seed-*")
    for run in runs:
        if not (run / "model.keras").exists():
            sys.exit(f"{run}: no model.keras (not a finished run)")
    from pvdefects.errors import UserError

    rows = {}
    for run in runs:
        try:
            rows[run] = validation_f1(run)
        except UserError as error:  # e.g. the shared labels the run trained on are absent here
            sys.exit(f"skipped: {error}")
        print(f"{run}: " + ", ".join(f"{key} {value:.3f}" for key, value in rows[run].items()), flush=True)
    write_section(
        "tta", section(rows, " ".join(["python benchmarks/tta_validation.py", *map(str, args.runs)]))
    )


if __name__ == "__main__":
    main()
