"""Run the challenge recipe (5-fold cross-validation of configs/challenge.toml) on the shared labels
and write its out-of-fold results to docs/benchmarks.md.

    python benchmarks/challenge.py [--labels ../shared/data/solar-cells/labels.csv]
                                   [--config configs/challenge.toml]

The same as ``pvdefects crossval --config configs/challenge.toml --labels LABELS --name challenge``
(folds already trained under runs/challenge are reused), plus the docs section. It takes about an
hour on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_LABELS = REPO.parent / "shared" / "data" / "solar-cells" / "labels.csv"
CONFIG = REPO / "configs" / "challenge.toml"
COLUMNS = ("precision", "recall", "specificity", "f1")


def with_interval(value: float, interval: list[float]) -> str:
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def section(summary: dict, command: str) -> str:
    """The docs section of one cross-validation's ``metrics.json`` summary."""
    metrics, intervals = summary["out_of_fold"], summary["out_of_fold_95ci"]
    crossfit = summary["out_of_fold_cross_fitted_thresholds"]
    fold_f1 = [fold["mean_f1"] for fold in summary["fold_validation"]]
    training = sum(summary["fold_wall_seconds"])
    lines = [
        "## The challenge recipe (`benchmarks/challenge.py`)",
        "",
        f"Command: `{command}` on {platform.machine()} CPU, {os.cpu_count()} cores. {summary['folds']}-fold "
        f"cross-validation stratified by label combination over {summary['rows']} cells; every cell is "
        "scored by the fold model that did not train on "
        f"it{' (averaged over the 8 flips/quarter turns)' if summary['tta'] else ''}; thresholds tuned on "
        f"these out-of-fold scores; percentile 95 % intervals from {intervals['resamples']} bootstrap "
        "resamples of the cells.",
        "",
        "| class | " + " | ".join(COLUMNS) + " | positives |",
        "| --- | " + " | ".join("---" for _ in COLUMNS) + " | --- |",
    ]
    for name, values in metrics["classes"].items():
        cells = [with_interval(values[c], intervals["classes"][name][c]) for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {values['support']} |")
    lines += [
        "",
        f"- **Out-of-fold mean F1: {with_interval(metrics['mean_f1'], intervals['mean_f1'])}** at thresholds "
        + ", ".join(f"{name} {t:.3f}" for name, t in summary["thresholds"].items()),
        f"- with thresholds tuned on the other folds only (no tuning on the measured cells): mean F1 "
        f"{with_interval(crossfit['mean_f1'], summary['out_of_fold_cross_fitted_95ci']['mean_f1'])}; "
        f"at 0.5: {summary['out_of_fold_at_0.5']['mean_f1']:.3f}",
        "- single fold models on their own validation fold (their own tuned thresholds): mean F1 "
        + ", ".join(f"{f1:.3f}" for f1 in fold_f1),
        f"- wall time: {training / 60:.1f} min training the folds (sum), {summary['wall_seconds'] / 60:.1f} "
        "min for the last invocation up to the export (loading the cells, training the folds it had to, "
        "OOF scoring)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=SHARED_LABELS)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--name", default="challenge")
    args = parser.parse_args()
    if not args.labels.exists():
        sys.exit(f"skipped: {args.labels} is absent (the shared crack/inactive labels); pass --labels")

    from pvdefects.layout import CrossValFolder
    from pvdefects.training.config import load_config_file
    from pvdefects.training.crossval import cross_validate

    config = load_config_file(args.config).updated(labels=str(args.labels))
    result = cross_validate(config, CrossValFolder(args.runs_dir / args.name), verbose=2)
    markdown = section(result.summary, shlex.join(["python", *sys.argv]))
    write_section("challenge", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
