"""Train both reference architectures on the shared crack/inactive labels; write docs/benchmarks.md.

    python benchmarks/train_reference.py [--labels ../shared/data/solar-cells/labels.csv] [--models resnet18 alexnet]

Each model trains with its recommended settings, the CLI's defaults for that model
(``defaults_for`` in ``training/config.py``), on the same seeded 80/20 split, on this machine's CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

SHARED_LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "solar-cells" / "labels.csv"

MODELS = ("resnet18", "alexnet")
SHOWN_SETTINGS = ("input_size", "learning_rate", "epochs", "patience", "balance", "label_smoothing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=SHARED_LABELS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/benchmark"))
    args = parser.parse_args()
    if not args.labels.exists():
        sys.exit(f"skipped: {args.labels} is absent (the shared crack/inactive labels); pass --labels")

    from pvdefects.data.sources import load_dataset
    from pvdefects.training.config import defaults_for
    from pvdefects.training.run_folder import RunFolder
    from pvdefects.training.trainer import train

    data = load_dataset(args.labels)
    rows = []
    for name in args.models:
        config = defaults_for(name).updated(labels=str(args.labels))
        result = train(config, RunFolder(args.runs_dir / name), verbose=2, data=data)
        rows.append((name, config, result))

    lines = [
        "## Training the reference architectures (`benchmarks/train_reference.py`)",
        "",
        f"Command: `python benchmarks/train_reference.py --models {' '.join(args.models)}` on "
        f"{platform.machine()} CPU, {os.cpu_count()} cores; shared labels, {len(data)} cells, seeded 80/20 "
        "split stratified by label combination; validation F1 at the per-class thresholds tuned on validation "
        "(F1 at 0.5 in brackets).",
        "",
        "| model | settings | crack F1 | inactive F1 | mean F1 | epochs (best) | wall time | train images/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, config, result in rows:
        f1 = {c: m["f1"] for c, m in result.metrics["classes"].items()}
        f1_half = {c: m["f1"] for c, m in result.metrics_at_half["classes"].items()}
        settings = ", ".join(f"{k}={getattr(config, k)}" for k in SHOWN_SETTINGS)
        lines.append(
            f"| {name} | {settings} | "
            + " | ".join(f"{f1[c]:.3f} ({f1_half[c]:.3f})" for c in f1)
            + f" | **{result.metrics['mean_f1']:.3f}** ({result.metrics_at_half['mean_f1']:.3f}) | "
            f"{result.epochs} ({result.best_epoch}) | {result.wall_seconds / 60:.1f} min | "
            f"{result.train_images_per_second:.1f} |"
        )
    write_section("training", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
