"""Shared fixtures: the synthetic data set of synthetic.py on disk, the shared labels where present, a
run folder made without training, the CLI in-process, a cache folder of the session."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The challenge server's Django is configured here, before any test module imports TensorFlow:
# Django's logging set-up closes the handlers that exist, absl's among them, and absl's closes the
# stream it holds, which under pytest's capture is the capture file (the session then dies with
# "I/O operation on closed file"). pytest-django creates the test database in this data folder.
os.environ.setdefault("PVDEFECTS_DATA_DIR", tempfile.mkdtemp(prefix="pvdefects-server-tests-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvdefects.server.settings")

import django  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from synthetic import write_dataset  # noqa: E402

django.setup()

SHARED_LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "solar-cells" / "labels.csv"
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session", autouse=True)
def float32_unless_asked():
    """``--precision auto`` means float32 in the tests, whatever CPU or GPU runs them: the suite's
    tolerances must not depend on the machine; the bfloat16 paths are tested by asking for bfloat16."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pvdefects.precision.CPUINFO", Path("/nonexistent/cpuinfo"))
        patch.setattr("pvdefects.precision.gpu_has_fast_bfloat16", lambda: False)
        yield


@pytest.fixture
def labels_csv(tmp_path: Path) -> Path:
    """A 40-cell synthetic data set on disk; returns its labels CSV."""
    return write_dataset(tmp_path / "cells")


@pytest.fixture
def shared_labels() -> Path:
    if not SHARED_LABELS.exists():
        pytest.skip(f"shared labels absent: {SHARED_LABELS} (../shared/data/solar-cells/labels.csv)")
    return SHARED_LABELS


def write_untrained_run(folder: Path, n: int, size: int, thresholds=(0.5, 0.4)):
    """A run folder ``folder/run`` as ``pvdefects train`` leaves it for ``report`` and ``explain``,
    made without training, for ``n`` synthetic cells in ``folder/cells`` (:func:`write_dataset`): an
    untrained simple_cnn (32 px) as model.keras, config.json, a two-epoch history and, as the
    validation predictions of every cell, seeded random scores, so that both classes have false
    positives and false negatives at ``thresholds``."""
    import keras

    from pvdefects.data.predictions import write_predictions
    from pvdefects.data.sources import open_labels
    from pvdefects.layout import RunFolder
    from pvdefects.models import create_model
    from pvdefects.models.saving import ModelMetadata, save_classifier
    from pvdefects.training.config import TrainConfig

    labels_csv = write_dataset(folder / "cells", n=n, size=size)
    run = RunFolder(folder / "run")
    run.create()
    TrainConfig(labels=str(labels_csv), model="simple_cnn", input_size=32).save(run.config)
    run.history.write_text(
        "epoch,loss,val_loss,val_f1_crack,val_mean_f1\n0,0.9,0.8,0.4,0.3\n1,0.7,0.75,0.5,0.4\n"
    )
    table, _ = open_labels(labels_csv)
    scores = np.random.default_rng(0).uniform(0, 1, table.labels.shape)
    write_predictions(run.predictions, table.filenames, table.class_names, table.labels, scores)
    keras.utils.set_random_seed(0)
    model = create_model("simple_cnn", len(table.class_names), input_size=32)
    save_classifier(model, ModelMetadata(table.class_names, list(thresholds), "simple_cnn", 32), run.model)
    return run


@pytest.fixture(scope="session")
def untrained_run():
    """:func:`write_untrained_run`, for tests of reports and heatmaps that need no trained model."""
    return write_untrained_run


@pytest.fixture
def pvdefects_cli(monkeypatch, capsys):
    """``pvdefects_cli(*args)`` runs ``pvdefects ARGS...`` in this process: (exit status, stdout, stderr)."""
    from pvdefects.cli.main import main

    def run(*args) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["pvdefects", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return exit_info.value.code or 0, captured.out, captured.err

    return run


@pytest.fixture(autouse=True, scope="session")
def pretrained_cache(tmp_path_factory) -> Path:
    """Converted pretrained weights (pvdefects.models.pretrained) go to a folder of this session,
    never to the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("pvdefects-cache")
    os.environ["PVDEFECTS_CACHE"] = str(folder)
    return folder


def _load_benchmark(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def benchmark_script() -> Callable[[str], ModuleType]:
    """``benchmark_script("train_reference")`` is benchmarks/train_reference.py as a module (benchmark
    scripts are not a package)."""
    return _load_benchmark
