"""benchmarks/repeat_ensemble.py: one model against the repeats' out-of-fold ensemble, on the same cells."""

import numpy as np
import pytest

from pvdefects.data.predictions import write_predictions
from pvdefects.errors import UserError
from pvdefects.layout import CrossValFolder
from pvdefects.training.config import TrainConfig

NAMES = ["crack", "inactive"]


@pytest.fixture(scope="module")
def ensemble(benchmark_script):
    return benchmark_script("repeat_ensemble")


def repeated_cv(root, repeats: int) -> CrossValFolder:
    """A finished ``crossval --repeats`` folder of 200 cells whose scores are the labels plus noise
    drawn anew in each repeat (so that averaging repeats cancels some of it)."""
    rng = np.random.default_rng(0)
    labels = (rng.uniform(size=(200, 2)) < [0.3, 0.15]).astype(np.uint8)
    filenames = [f"cell{i:03d}.png" for i in range(200)]
    folder = CrossValFolder(root)
    for r in range(repeats):
        repeat = folder.repeat(r)
        repeat.root.mkdir(parents=True)
        TrainConfig(labels="labels.csv", folds=5, seed=r).save(repeat.config)
        scores = np.clip(0.5 * labels + rng.normal(0.25, 0.25, labels.shape), 0, 1).astype(np.float32)
        write_predictions(repeat.predictions, filenames, NAMES, labels, scores)
    return folder


def test_averaging_repeats_scores_an_ensemble_against_the_single_models(ensemble, tmp_path):
    result = ensemble.ensemble_against_single(repeated_cv(tmp_path / "cv", repeats=3).root, resamples=300)
    mean = result["mean"]
    assert result["repeats"] == 3 and result["rows"] == 200
    assert mean["ensemble"] > mean["single"]  # noise of independent repeats partly averages out
    assert mean["average_precision_ensemble"] > mean["average_precision_single"]
    assert mean["difference"] == pytest.approx(mean["ensemble"] - mean["single"])
    low, high = mean["difference_95ci"]
    assert low <= mean["difference"] <= high and 0 <= mean["ensemble_better_share"] <= 1
    markdown = ensemble.section(result, "python benchmarks/repeat_ensemble.py cv")
    row = result["classes"]["crack"]
    assert f"| crack | {row['single']:.3f} | {row['ensemble']:.3f} | {row['difference']:+.3f} |" in markdown
    assert "`python benchmarks/repeat_ensemble.py cv`" in markdown and "3 repeats of 5-fold" in markdown


def test_one_repeat_is_refused(ensemble, tmp_path):
    with pytest.raises(UserError, match="1 repeat; the ensemble needs crossval --repeats 2"):
        ensemble.ensemble_against_single(repeated_cv(tmp_path / "cv", repeats=1).root)
