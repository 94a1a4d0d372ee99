"""Training curves, precision-recall and F1-threshold curves as PNGs: people read curves faster than
tables. ``out_png`` may be a path or a binary file object (the HTML report inlines them)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from pvdefects.evaluation.metrics import class_metrics  # noqa: E402


def read_history(path: Path) -> dict[str, list[float]]:
    """Columns of Keras' CSVLogger history, as floats."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        key: [float(row[key]) for row in rows if row.get(key) not in (None, "")]
        for key in (rows[0] if rows else {})
    }


def plot_history(history_csv: Path, out_png: Path) -> None:
    """Loss (train and validation) and validation F1 per class, against the epoch."""
    history = read_history(history_csv)
    if not history:
        return
    epochs = [int(e) + 1 for e in history["epoch"]]
    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if key in history:
            loss_ax.plot(epochs, history[key], marker=".", label=label)
    loss_ax.set(title="loss", xlabel="epoch")
    loss_ax.legend()
    for key in sorted(k for k in history if k.startswith("val_f1_") or k == "val_mean_f1"):
        style = "-" if key == "val_mean_f1" else "--"
        f1_ax.plot(epochs, history[key], style, marker=".", label=key.removeprefix("val_"))
    f1_ax.set(title="validation F1 (threshold 0.5)", xlabel="epoch", ylim=(0, 1))
    f1_ax.legend()
    for ax in (loss_ax, f1_ax):  # whole epochs only: a short run would otherwise get 0.96, 1.2, ...
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def plot_precision_recall(truth, scores, thresholds, class_names, out_png: Path) -> None:
    """Precision-recall curve of each class, with the tuned threshold's operating point marked (a
    class without positives has no curve: its panel says so)."""
    fig, axes = plt.subplots(1, len(class_names), figsize=(4.5 * len(class_names), 4), squeeze=False)
    for c, (name, ax) in enumerate(zip(class_names, axes[0])):
        ax.set(title=name, xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02))
        if not truth[:, c].any():
            ax.text(0.5, 0.5, "no positive cells", ha="center", va="center")
            continue
        precision, recall, _ = precision_recall_curve(truth[:, c], scores[:, c])
        ax.plot(recall, precision)
        chosen = scores[:, c] >= thresholds[c]
        tp = float((chosen & (truth[:, c] == 1)).sum())
        ax.plot(
            tp / max(truth[:, c].sum(), 1),
            tp / max(chosen.sum(), 1),
            "o",
            label=f"threshold {thresholds[c]:.2f}",
        )
        ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def f1_against_threshold(truth: np.ndarray, scores: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """F1 of one class's 0/1 ``truth`` when deciding ``scores >= t`` for each threshold ``t`` of
    ``grid``: ``[len(grid)]``, NaN where undefined (no positives, none predicted; see metrics.py)."""
    return np.array([np.nan if (f1 := class_metrics(truth, scores >= t)["f1"]) is None else f1 for t in grid])


def plot_f1_against_threshold(truth, scores, thresholds, class_names, out_png) -> None:
    """F1 of each class against the decision threshold (0 to 1), the tuned threshold and 0.5 marked:
    how much F1 a threshold moved by a little would cost."""
    grid = np.linspace(0, 1, 201)
    fig, ax = plt.subplots(figsize=(6, 4))
    for c, name in enumerate(class_names):
        (line,) = ax.plot(grid, f1_against_threshold(truth[:, c], scores[:, c], grid), label=name)
        ax.axvline(thresholds[c], color=line.get_color(), linestyle="--", linewidth=1)
    ax.axvline(0.5, color="gray", linestyle=":", linewidth=1, label="0.5")
    ax.set(title="F1 against threshold (dashed: tuned)", xlabel="threshold", ylabel="F1", ylim=(0, 1.02))
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
