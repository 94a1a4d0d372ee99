"""One-factor-at-a-time hyperparameter study on the shared crack/inactive labels, over several seeds.

    python benchmarks/hyperparameter_sweep.py [--labels LABELS.csv] [--seeds 0 1 2] [--variants NAME ...]

Each variant changes one thing (or one coherent group, such as "augmentation off") of a cheap base
setting: resnet18 at 96 px for 8 epochs, one cosine cycle, the best epoch by validation loss kept.
Every variant trains once per seed; the seed picks the stratified 80/20 split *and* the
initialisation, so a variant and the base with the same seed are compared on the same cells
(paired differences). Runs go seed by seed, so an interrupted sweep still covers every variant;
finished runs (a ``metrics.json`` in ``runs/sweep/<variant>/seed-<k>``) are read back, not retrained,
and the docs always summarise every finished run. Add seeds where differences are small:
``--seeds 3 4 --variants "balance 1" focal``.

Writes the results section of docs/hyperparameters.md and docs/figures/hyperparameter_sweep.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED_LABELS = REPO.parent / "shared" / "data" / "solar-cells" / "labels.csv"
DOC = REPO / "docs" / "hyperparameters.md"
FIGURE = REPO / "docs" / "figures" / "hyperparameter_sweep.png"

# The cheap base every variant departs from (everything else is TrainConfig's default).
BASE = {"model": "resnet18", "input_size": 96, "epochs": 8, "patience": 8}

# variant name -> (factor it belongs to, the settings it changes). The base is in every factor.
VARIANTS: dict[str, tuple[str, dict]] = {
    "base": ("", {}),
    "lr 3e-4": ("learning rate", {"learning_rate": 3e-4}),
    "lr 3e-3": ("learning rate", {"learning_rate": 3e-3}),
    "balance 0": ("balanced sampling", {"balance": 0.0}),
    "balance 1": ("balanced sampling", {"balance": 1.0}),
    "augmentation off": ("augmentation", {"aug_flips": False, "aug_rot90": False, "aug_intensity": 0.0}),
    "intensity 0.3": ("augmentation", {"aug_intensity": 0.3}),
    "pos_weight sqrt": ("loss", {"pos_weight": "sqrt"}),
    "focal": ("loss", {"loss": "focal"}),
    "label smoothing 0.1": ("loss", {"label_smoothing": 0.1}),
    "batch 64": ("batch size", {"batch_size": 64}),
    "sgd lr 1e-2": ("optimizer", {"optimizer": "sgd", "learning_rate": 1e-2}),
    "weight decay 1e-2": ("weight decay", {"weight_decay": 1e-2}),
    "dropout 0.3": ("dropout", {"dropout": 0.3}),
    "alexnet lr 5e-4": ("architecture", {"model": "alexnet", "learning_rate": 5e-4}),
    # Do the winners add up? Each on top of balance 1, resnet18's default since the study above.
    "balance 1 + focal": ("on top of balance 1", {"balance": 1.0, "loss": "focal"}),
    "balance 1 + label smoothing 0.1": ("on top of balance 1", {"balance": 1.0, "label_smoothing": 0.1}),
    "balance 1 + lr 3e-4": ("on top of balance 1", {"balance": 1.0, "learning_rate": 3e-4}),
    "balance 1 + shift 0.1": ("on top of balance 1", {"balance": 1.0, "aug_shift": 0.1}),
    "balance 1 + shift 0.2": ("on top of balance 1", {"balance": 1.0, "aug_shift": 0.2}),
}
# A factor compared with another variant than the base: paired differences are taken against it.
REFERENCE = {"on top of balance 1": "balance 1"}
LOSS_CHANGING = {"pos_weight", "loss", "label_smoothing"}  # their validation losses are not comparable


def run_dir(runs: Path, variant: str, seed: int) -> Path:
    return runs / re.sub(r"[^a-z0-9.]+", "-", variant.lower()) / f"seed-{seed}"


def train_once(variant: str, seed: int, labels: Path, runs: Path, data) -> None:
    """Train one (variant, seed) unless its run folder already holds a finished run."""
    import shutil

    from pvdefects.layout import RunFolder
    from pvdefects.training.config import TrainConfig
    from pvdefects.training.trainer import train

    run = RunFolder(run_dir(runs, variant, seed))
    if run.metrics.exists():
        return
    shutil.rmtree(run.root, ignore_errors=True)  # an interrupted run starts again from scratch
    config = TrainConfig(labels=str(labels), seed=seed, **{**BASE, **VARIANTS[variant][1]})
    train(config, run, verbose=2, data=data)


def read_run(variant: str, seed: int, root: Path) -> dict:
    """The figures of one finished run folder."""
    from pvdefects.layout import RunFolder

    run = RunFolder(root)
    metrics = json.loads(run.metrics.read_text())
    with run.history.open() as handle:
        val_loss = min(float(row["val_loss"]) for row in csv.DictReader(handle))
    return {
        "variant": variant,
        "seed": seed,
        "mean_f1": metrics["validation"]["mean_f1"],
        "mean_f1_at_half": metrics["validation_at_0.5"]["mean_f1"],
        **{f"f1_{name}": values["f1"] for name, values in metrics["validation"]["classes"].items()},
        "val_loss": val_loss,
        "best_epoch": metrics["best_epoch"],
        "minutes": metrics["wall_seconds"] / 60,
    }


def finished_runs(runs: Path) -> list[dict]:
    """Every finished (variant, seed) run under ``runs``, whichever invocation trained it."""
    found = []
    for variant in VARIANTS:
        for seed_dir in sorted(run_dir(runs, variant, 0).parent.glob("seed-*")):
            if (seed_dir / "metrics.json").exists():
                found.append(read_run(variant, int(seed_dir.name.removeprefix("seed-")), seed_dir))
    return found


def summarise(results: list[dict]) -> list[dict]:
    """Per variant: mean and spread over seeds, and the mean paired difference to its reference (the base)."""
    rows = []
    for variant, (factor, changes) in VARIANTS.items():
        mine = [r for r in results if r["variant"] == variant]
        if not mine:
            continue
        reference = {r["seed"]: r for r in results if r["variant"] == REFERENCE.get(factor, "base")}
        paired = [r["mean_f1"] - reference[r["seed"]]["mean_f1"] for r in mine if r["seed"] in reference]
        rows.append(
            {
                "variant": variant,
                "factor": factor,
                "seeds": len(mine),
                "mean_f1": float(np.mean([r["mean_f1"] for r in mine])),
                "sd": float(np.std([r["mean_f1"] for r in mine], ddof=1)) if len(mine) > 1 else float("nan"),
                "per_seed": [r["mean_f1"] for r in sorted(mine, key=lambda r: r["seed"])],
                "delta": float(np.mean(paired)) if paired and variant != "base" else float("nan"),
                "wins": sum(d > 0 for d in paired) if variant != "base" else None,
                "mean_f1_at_half": float(np.mean([r["mean_f1_at_half"] for r in mine])),
                "f1_crack": float(np.mean([r["f1_crack"] for r in mine])),
                "f1_inactive": float(np.mean([r["f1_inactive"] for r in mine])),
                "val_loss": float(np.mean([r["val_loss"] for r in mine])),
                "loss_comparable": not LOSS_CHANGING & set(changes),
                "minutes": float(np.mean([r["minutes"] for r in mine])),
            }
        )
    return rows


def plot(results: list[dict], path: Path) -> None:
    """One panel per factor: every seed's validation mean F1 (dots) and their mean (bar), its reference
    first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    factors = [f for f in dict.fromkeys(factor for factor, _ in VARIANTS.values()) if f]
    columns = 4
    rows = -(-len(factors) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.2 * rows), sharey=True, squeeze=False)
    for axis, factor in zip(axes.flat, factors):
        names = [REFERENCE.get(factor, "base")] + [v for v, (f, _) in VARIANTS.items() if f == factor]
        for x, name in enumerate(names):
            values = [r["mean_f1"] for r in results if r["variant"] == name]
            if values:
                axis.bar(x, np.mean(values), color="tab:gray" if x == 0 else "tab:blue", alpha=0.5)
                axis.plot([x] * len(values), values, "o", color="black", markersize=3)
        ticks = [names[0]] + [name.replace(f"{names[0]} + ", "+ ") for name in names[1:]]
        axis.set_xticks(range(len(names)), ticks, rotation=20, fontsize=8)
        axis.set_title(factor)
        axis.grid(axis="y", alpha=0.3)
    for axis in axes.flat[len(factors) :]:
        axis.axis("off")
    for axis in axes[:, 0]:
        axis.set_ylabel("validation mean F1")
    low = min(r["mean_f1"] for r in results)
    axes[0, 0].set_ylim(max(0.0, low - 0.05), 1.0)
    figure.suptitle(f"One factor at a time around {BASE} (dots: seeds)", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def results_markdown(rows: list[dict], hours: float) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in BASE.items())
    lines = [
        "### One factor at a time (`benchmarks/hyperparameter_sweep.py`)",
        "",
        "Command: `python benchmarks/hyperparameter_sweep.py` (seeds 0, 1 and 2; the single factors were "
        "run as `--seeds 0 1`, then `--seeds 2`, the combinations later with "
        '`--variants "balance 1 + focal" ...`) '
        f"on {platform.machine()} CPU, {os.cpu_count()} cores ({hours:.1f} h of training in all; about half "
        "of the runs shared the cores with other training, hence the spread of minutes per run). Base: "
        f"{settings}, otherwise `TrainConfig`'s defaults (AdamW 1e-3, weight decay 1e-4, cosine with 1 "
        "warm-up epoch, batch 32, balance 0.5 (resnet18's default before this study), flips + quarter turns "
        "+ intensity 0.1, BCE). Each seed is a different stratified 80/20 split of the 1,600 shared cells "
        "and a different initialisation; *paired Δ* is the mean over seeds of (variant − base on the same "
        "split; for the combinations, − balance 1), *wins* on how many seeds the variant beat it. Mean F1 "
        "at per-class thresholds tuned on validation (at 0.5 in its own column); validation loss is the "
        "best epoch's, comparable only between rows with the same loss function.",
        "",
        "![one factor at a time](figures/hyperparameter_sweep.png)",
        "",
        "| factor | variant | seeds | mean F1 (sd) | per seed | paired Δ | wins | F1 at 0.5 | crack F1 | "
        "inactive F1 | val loss | min/run |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        delta = "" if np.isnan(r["delta"]) else f"{r['delta']:+.3f}"
        wins = "" if r["wins"] is None else f"{r['wins']}/{r['seeds']}"
        loss = f"{r['val_loss']:.3f}" + ("" if r["loss_comparable"] else " *")
        lines.append(
            f"| {r['factor'] or '—'} | {r['variant']} | {r['seeds']} | {r['mean_f1']:.3f} ({r['sd']:.3f}) | "
            + " ".join(f"{v:.3f}" for v in r["per_seed"])
            + f" | {delta} | {wins} | {r['mean_f1_at_half']:.3f} | {r['f1_crack']:.3f} | "
            f"{r['f1_inactive']:.3f} | {loss} | {r['minutes']:.1f} |"
        )
    lines.append("")
    lines.append("\\* another loss function: its validation loss is on another scale.")
    return "\n".join(lines)


def write_results(markdown: str, path: Path = DOC) -> None:
    """Replace the sweep's block inside the results section of docs/hyperparameters.md."""
    text = path.read_text()
    block = f"<!-- begin sweep -->\n{markdown.strip()}\n<!-- end sweep -->"
    pattern = re.compile(r"<!-- begin sweep -->.*?<!-- end sweep -->", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no '<!-- begin sweep -->' ... '<!-- end sweep -->' block to fill")
    path.write_text(pattern.sub(lambda _: block, text))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=SHARED_LABELS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/sweep"))
    args = parser.parse_args()
    if not args.labels.exists():
        sys.exit(f"skipped: {args.labels} is absent (the shared crack/inactive labels); pass --labels")

    from pvdefects.data.sources import load_dataset

    data = load_dataset(args.labels)
    variants = ["base", *[v for v in args.variants if v != "base"]]
    for seed in args.seeds:
        for variant in variants:
            started = time.perf_counter()
            train_once(variant, seed, args.labels, args.runs_dir, data)
            print(f"[sweep] seed {seed} {variant} ({time.perf_counter() - started:.0f} s)", flush=True)
            # Rewrite the docs after every run from every finished run, this invocation's or earlier ones'.
            results = finished_runs(args.runs_dir)
            plot(results, FIGURE)
            write_results(results_markdown(summarise(results), sum(r["minutes"] for r in results) / 60))


if __name__ == "__main__":
    main()
