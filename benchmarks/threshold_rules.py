"""Would a steadier threshold rule lift out-of-fold F1? Measured on finished cross-validations; the
answer goes to docs/benchmarks.md.

    python benchmarks/threshold_rules.py CV [CV ...]   (folders of ``pvdefects crossval``)

``crossval`` and the export set each class's threshold where F1 peaks on the out-of-fold scores
(:func:`pvdefects.evaluation.thresholds.best_f1_threshold`). With some 80 ``inactive`` positives in
the tuning rows that peak can sit on a few cells, so two rules that average over resamples of the
tuning rows are set against it:

- ``bagged``: the median of the F1-peak thresholds of 100 bootstrap resamples (bagging, Breiman 1996);
- ``expected F1``: the threshold whose F1, averaged over the same kind of 100 resamples, is highest.

Each rule is scored as ``crossval`` scores its own
(:func:`~pvdefects.training.crossval.cross_fitted_decisions`): each fold's cells at thresholds the
rule chose from the other folds' scores. Every repeat of every
folder counts once; the table gives each one's mean F1 (``inactive`` F1 in brackets) and the average
difference to the F1 peak. No training: a few seconds per folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import publish  # noqa: E402

RESAMPLES = 100
ClassRule = Callable[
    [np.ndarray, np.ndarray, np.random.Generator], float
]  # (truth, scores, rng) -> threshold


def bagged_threshold(truth: np.ndarray, scores: np.ndarray, rng: np.random.Generator) -> float:
    """The median F1-peak threshold over bootstrap resamples of one class's ``[N]`` labels and scores."""
    from pvdefects.evaluation.thresholds import best_f1_threshold

    n = len(truth)
    picks = [rng.integers(0, n, n) for _ in range(RESAMPLES)]
    return float(np.median([best_f1_threshold(truth[i], scores[i]) for i in picks]))


def expected_f1_threshold(truth: np.ndarray, scores: np.ndarray, rng: np.random.Generator) -> float:
    """The score (of those in ``scores``) whose F1, averaged over bootstrap resamples, is highest."""
    candidates = np.unique(scores)
    positive = truth.astype(bool)
    total = np.zeros(len(candidates))
    for _ in range(RESAMPLES):
        i = rng.integers(0, len(truth), len(truth))
        predicted = scores[i][None, :] >= candidates[:, None]
        tp = (predicted & positive[i]).sum(axis=1)
        errors = (predicted != positive[i]).sum(axis=1)  # false positives + false negatives
        total += 2 * tp / np.maximum(2 * tp + errors, 1)
    return float(candidates[np.argmax(total)])


def rules() -> dict[str, ClassRule]:
    from pvdefects.evaluation.thresholds import best_f1_threshold

    return {
        "F1 peak": lambda truth, scores, rng: best_f1_threshold(truth, scores),
        "bagged": bagged_threshold,
        "expected F1": expected_f1_threshold,
    }


def cross_fitted_f1(folder, rule: ClassRule, seed: int = 0) -> tuple[float, dict[str, float]]:
    """Mean F1 and ``{class: F1}`` of one finished cross-validation's cells at thresholds ``rule`` chose
    on the other folds."""
    from pvdefects.data.predictions import read_predictions
    from pvdefects.evaluation.metrics import multilabel_metrics
    from pvdefects.training.config import load_config_file
    from pvdefects.training.crossval import cross_fitted_decisions, fold_configs

    config = load_config_file(folder.config)
    _, names, labels, scores = read_predictions(folder.predictions)
    rng = np.random.default_rng(seed)

    def tune(truth: np.ndarray, tuning: np.ndarray) -> list[float]:
        return [rule(truth[:, c], tuning[:, c], rng) for c in range(truth.shape[1])]

    decisions = cross_fitted_decisions(labels, scores, fold_configs(config, config.folds), names, tune)
    metrics = multilabel_metrics(labels, decisions, names)
    return metrics["mean_f1"], {name: metrics["classes"][name]["f1"] for name in names}


def measure(folders: list[Path]) -> dict[str, dict[str, tuple[float, dict[str, float]]]]:
    """``{repeat folder: {rule: (mean F1, per-class F1)}}`` over every repeat of ``folders``."""
    from pvdefects.layout import CrossValFolder
    from pvdefects.training.repeated import repeat_folders

    results = {}
    for folder in folders:
        for repeat in repeat_folders(CrossValFolder(folder)):
            results[str(repeat.root)] = {
                name: cross_fitted_f1(repeat, rule) for name, rule in rules().items()
            }
    return results


def section(results: dict, command: str) -> str:
    names = list(rules())
    first = next(iter(results.values()))
    bracketed = list(next(iter(first.values()))[1])[-1]  # the last class: `inactive` of crack/inactive
    lines = [
        "## Threshold rules, out of fold (`benchmarks/threshold_rules.py`)",
        "",
        f"Command: `{command}` on {platform.machine()} CPU, {os.cpu_count()} cores; no training. Mean F1 of "
        f"each cross-validation's cells at thresholds each rule chose on the other folds (`{bracketed}` F1 "
        f"in brackets); the resampling rules use {RESAMPLES} bootstrap resamples of the tuning rows.",
        "",
        "| cross-validation | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for run, figures in results.items():
        cells = [f"{mean:.3f} ({classes[bracketed]:.3f})" for mean, classes in figures.values()]
        lines.append(f"| {run} | " + " | ".join(cells) + " |")
    base = names[0]
    for name in names[1:]:
        differences = [figures[name][0] - figures[base][0] for figures in results.values()]
        better = sum(d > 0 for d in differences)
        lines.append("")
        lines.append(
            f"{name} − {base}: {np.mean(differences):+.4f} mean F1 on average over {len(differences)} "
            f"cross-validations (better in {better}, worse in {sum(d < 0 for d in differences)})."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cv", type=Path, nargs="+", help="finished crossval folders, e.g. runs/challenge")
    args = parser.parse_args()
    command = "python benchmarks/threshold_rules.py " + " ".join(map(str, args.cv))
    publish("threshold-rules", lambda: section(measure(args.cv), command))


if __name__ == "__main__":
    main()
