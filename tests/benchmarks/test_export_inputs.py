"""benchmarks/export_inputs.py: fold models fed their cells as an export is, against out of fold."""

import numpy as np
import pytest
from rich.console import Console
from synthetic import write_dataset

from pvdefects.data.predictions import read_predictions
from pvdefects.layout import CrossValFolder
from pvdefects.training.config import load_config_file
from pvdefects.training.crossval import cross_validate


@pytest.fixture(scope="module")
def inputs(benchmark_script):
    return benchmark_script("export_inputs")


@pytest.fixture(scope="module")
def cv(tmp_path_factory):
    """A finished 2-fold cross-validation with TTA whose 48 px cells the models resize to 32 px."""
    root = tmp_path_factory.mktemp("export-inputs")
    labels = write_dataset(root / "cells", n=40, size=48)
    toml = root / "tiny.toml"
    toml.write_text(
        'model = "simple_cnn"\ninput_size = 32\nepochs = 1\nbatch_size = 8\nsteps_per_epoch = 2\n'
        f'warmup_epochs = 0\nlabels = "{labels}"\n'
    )
    folder = CrossValFolder(root / "runs" / "cv")
    cross_validate(
        load_config_file(toml), folder, 2, tta=True, resamples=100, verbose=0, console=Console(quiet=True)
    )
    return folder


def test_models_with_gray_levels_score_native_cells_as_out_of_fold(inputs, cv):
    scores = inputs.export_way_scores(cv.root)
    oof = read_predictions(cv.predictions)[3]
    np.testing.assert_array_equal(scores["as saved"], scores["as loaded"])  # built by this code already
    np.testing.assert_allclose(scores["as loaded"], oof, atol=2e-3)


def test_the_table_pairs_each_way_against_out_of_fold(inputs, cv):
    results = inputs.compare_ways(cv.root, resamples=200)
    assert list(results) == ["as saved", "as loaded"]
    markdown = inputs.section(results, "python benchmarks/export_inputs.py cv")
    for way, result in results.items():
        a, b = result["summary_a"]["mean_f1"], result["summary_b"]["mean_f1"]
        assert f"| {way} | {a:.3f} | {b:.3f} | {result['mean_f1_difference']:+.3f} |" in markdown
    assert "`python benchmarks/export_inputs.py cv`" in markdown
