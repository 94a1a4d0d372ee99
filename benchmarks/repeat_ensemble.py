"""Does averaging fold models lift F1? Measured out of fold on a repeated cross-validation; the answer
goes to docs/benchmarks.md.

    python benchmarks/repeat_ensemble.py CV   (a folder of ``pvdefects crossval --repeats R``, R >= 2)

The challenge export averages its fold models (docs/challenge.md), but out-of-fold figures score
each cell with one model. In a repeated cross-validation every cell has R out-of-fold scores, from
R models trained on other fold assignments, none of which saw it: their average is the score of an
R-model ensemble, still out of fold. This script tables the single models' mean F1 (the average over
the repeats, as ``crossval`` reports it) against that ensemble's, both at thresholds tuned on the
other folds (repeat 0's folds for the ensemble), with the paired bootstrap interval of the
difference on the same cells. No training: seconds.
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

from docs_section import publish  # noqa: E402


def ensemble_against_single(folder: Path, resamples: int = 2000, seed: int = 0) -> dict:
    """Mean and per-class F1 of the single models (averaged over the repeats) and of the repeats'
    ensemble, and the paired interval of ensemble - single. Raises ``UserError`` for fewer than two
    repeats or repeats of different cells."""
    from sklearn.metrics import average_precision_score

    from pvdefects.errors import UserError
    from pvdefects.evaluation.bootstrap import repeated_resamples
    from pvdefects.evaluation.metrics import multilabel_metrics
    from pvdefects.layout import CrossValFolder
    from pvdefects.training.comparison import paired_difference
    from pvdefects.training.crossval import cross_fitted_decisions, fold_configs
    from pvdefects.training.repeated import CONFIDENCE, read_repeats

    cv = CrossValFolder(folder)
    repeats = read_repeats(cv)  # checks that they scored the same cells
    if len(repeats) < 2:
        raise UserError(f"{folder}: {len(repeats)} repeat; the ensemble needs crossval --repeats 2 or more")
    labels, names = repeats[0].labels, repeats[0].class_names
    config = repeats[0].config
    repeat_scores = [repeat.scores for repeat in repeats]
    scores = np.mean(repeat_scores, axis=0)
    ensemble = cross_fitted_decisions(labels, scores, fold_configs(config, config.folds), names)
    single = [multilabel_metrics(labels, r.decisions, names) for r in repeats]
    joint = multilabel_metrics(labels, ensemble, names)
    samples_single = repeated_resamples(labels, [r.decisions for r in repeats], resamples, seed)
    samples_joint = repeated_resamples(labels, [ensemble], resamples, seed)  # the same resampled cells

    def precision(values: np.ndarray, columns: list[int]) -> float:  # threshold-free: the ranking alone
        return float(np.mean([average_precision_score(labels[:, c], values[:, c]) for c in columns]))

    def row(single_f1: float, joint_f1: float, diff: np.ndarray, columns: list[int]) -> dict:
        paired = paired_difference(diff)
        return {
            "average_precision_single": float(np.mean([precision(s, columns) for s in repeat_scores])),
            "average_precision_ensemble": precision(scores, columns),
            "single": single_f1,
            "ensemble": joint_f1,
            "difference": joint_f1 - single_f1,
            "difference_95ci": paired["95ci"],
            "ensemble_better_share": paired["b_better_share"],
        }

    diff_f1 = samples_joint["f1"] - samples_single["f1"]
    return {
        "repeats": len(repeats),
        "folds": config.folds,
        "rows": len(labels),
        "confidence": CONFIDENCE,
        "classes": {
            name: row(
                float(np.mean([m["classes"][name]["f1"] for m in single])),
                joint["classes"][name]["f1"],
                diff_f1[:, c],
                [c],
            )
            for c, name in enumerate(names)
        },
        "mean": row(
            float(np.mean([m["mean_f1"] for m in single])),
            joint["mean_f1"],
            samples_joint["mean_f1"] - samples_single["mean_f1"],
            list(range(len(names))),
        ),
    }


def section(result: dict, command: str) -> str:
    """The markdown table of :func:`ensemble_against_single`'s ``result``."""
    lines = [
        "## Fold models averaged, out of fold (`benchmarks/repeat_ensemble.py`)",
        "",
        f"Command: `{command}` on {platform.machine()} CPU, {os.cpu_count()} cores; no training. "
        f"{result['repeats']} repeats of {result['folds']}-fold cross-validation, {result['rows']} cells: "
        "each cell's out-of-fold score from one model (averaged over the repeats) against the average "
        f"of its {result['repeats']} out-of-fold scores, an ensemble of {result['repeats']} models none "
        "of which saw it; F1 at thresholds tuned on the other folds, paired bootstrap "
        f"{result['confidence']:.0%} interval; average precision (AP: the ranking alone, no threshold; "
        "the mean row averages the classes).",
        "",
        "| class | F1 one model | F1 ensemble | Δ | paired interval | ensemble better | AP one model "
        "| AP ensemble |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in [*result["classes"].items(), ("mean", result["mean"])]:
        low, high = r["difference_95ci"]
        lines.append(
            f"| {name} | {r['single']:.3f} | {r['ensemble']:.3f} | {r['difference']:+.3f} | "
            f"{low:+.3f} .. {high:+.3f} | {r['ensemble_better_share']:.0%} | "
            f"{r['average_precision_single']:.3f} | {r['average_precision_ensemble']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cv", type=Path, help="a crossval --repeats folder, e.g. runs/challenge")
    args = parser.parse_args()
    command = f"python benchmarks/repeat_ensemble.py {args.cv}"
    publish("repeat-ensemble", lambda: section(ensemble_against_single(args.cv), command))


if __name__ == "__main__":
    main()
