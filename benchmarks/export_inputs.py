"""Does a cross-validation's export score the cells as its out-of-fold figures did? The answer goes to
docs/benchmarks.md.

    python benchmarks/export_inputs.py CV   (a folder of ``pvdefects crossval``)

``crossval`` trains and scores each fold on the cells resized once to the input size and stored as
uint8 (:func:`pvdefects.data.images.resize_images`); its export is fed the cells as read (300x300)
and resizes them inside the model. This script scores each fold model's validation cells the
export's way, with the same TTA as the run, twice: with the model exactly as saved, and as
:func:`pvdefects.models.saving.load_classifier` loads it for ``export`` and ``predict`` (a model
saved before :class:`~pvdefects.models.preprocessing.StoredGrayLevels` rebuilt with it, same weights).
Both are paired against the run's own out-of-fold scores at thresholds tuned on the other folds. No
training: a few minutes a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import publish  # noqa: E402

WAYS = ("as saved", "as loaded")


def export_way_scores(cv: Path) -> dict[str, np.ndarray]:
    """Each row's score from its fold model fed the cell at its native size: ``{way: [N, C]}``."""
    import pvdefects  # noqa: F401, I001  (before Keras: turns TensorFlow's oneDNN kernels on)
    import keras

    from pvdefects.data.sources import load_dataset
    from pvdefects.inference.predictor import classifier_predictor
    from pvdefects.layout import CrossValFolder
    from pvdefects.models.saving import load_classifier, saved_before_gray_levels
    from pvdefects.training.config import load_config_file
    from pvdefects.training.crossval import fold_configs, split_indices

    folder = CrossValFolder(cv)
    config = load_config_file(folder.config)
    data = load_dataset(config.labels, config.images_root)
    tta = json.loads((folder.root / "metrics.json").read_text())["tta"]
    scores = {way: np.zeros(data.labels.shape, np.float32) for way in WAYS}
    for k, fold in enumerate(fold_configs(config, config.folds)):
        _, val_idx = split_indices(data.labels, fold, data.class_names)
        path = folder.fold(k).model
        saved = keras.saving.load_model(path, compile=False)
        loaded, metadata = load_classifier(path)  # rebuilt with today's preprocessing where older
        batch = (data.images[val_idx], fold.batch_size, tta)
        scores["as saved"][val_idx] = classifier_predictor(saved, metadata, path).predict(*batch)[1]
        # a model saved with StoredGrayLevels loads as saved: scored once
        older = saved_before_gray_levels(saved, metadata)
        scores["as loaded"][val_idx] = (
            classifier_predictor(loaded, metadata, path).predict(*batch)[1]
            if older
            else scores["as saved"][val_idx]
        )
    return scores


def compare_ways(cv: Path, resamples: int = 2000) -> dict[str, dict]:
    """``{way: compare's result}``: the export's way against the run's out-of-fold scores, paired."""
    import shutil

    from pvdefects.data.predictions import read_predictions, write_predictions
    from pvdefects.layout import CrossValFolder
    from pvdefects.training.comparison import compare_cross_validations

    folder = CrossValFolder(cv)
    filenames, names, labels, _ = read_predictions(folder.predictions)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for way, scores in export_way_scores(cv).items():
            other = CrossValFolder(Path(scratch) / way.replace(" ", "-"))
            other.root.mkdir()
            shutil.copy(folder.config, other.config)
            write_predictions(other.predictions, filenames, names, labels, scores)
            results[way] = compare_cross_validations(cv, other.root, resamples)
    return results


def section(results: dict[str, dict], command: str) -> str:
    lines = [
        "## The export's inputs against out of fold (`benchmarks/export_inputs.py`)",
        "",
        f"Command: `{command}` on {platform.machine()} CPU, {os.cpu_count()} cores; no training. Each fold "
        "model scores its validation cells fed at their native size, as its export is fed (resized inside "
        "the model), against the run's out-of-fold scores (cells resized once and stored as uint8); mean F1 "
        "at thresholds tuned on the other folds, B − A with its 95 % paired bootstrap interval.",
        "",
        "| model (B) | out of fold (A) | export's inputs (B) | B − A | interval | B better |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for way, result in results.items():
        low, high = result["mean_f1_difference_95ci"]
        lines.append(
            f"| {way} | {result['summary_a']['mean_f1']:.3f} | {result['summary_b']['mean_f1']:.3f} | "
            f"{result['mean_f1_difference']:+.3f} | {low:+.3f} .. {high:+.3f} | "
            f"{result['mean_f1_difference_b_better_share']:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cv", type=Path, help="a finished crossval folder, e.g. runs/challenge")
    args = parser.parse_args()
    command = f"python benchmarks/export_inputs.py {args.cv}"
    publish("export-inputs", lambda: section(compare_ways(args.cv), command))


if __name__ == "__main__":
    main()
