"""Training curves as a PNG: people read curves faster than tables."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402


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
