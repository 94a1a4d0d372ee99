"""benchmarks/train_reference.py: reuse of finished runs and the per-split table with its mean."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from pvdefects.training import trainer
from pvdefects.training.config import defaults_for


@pytest.fixture(scope="module")
def benchmark(benchmark_script):
    return benchmark_script("train_reference")


def metrics(crack: float, inactive: float) -> dict:
    at_half = {
        "classes": {"crack": {"f1": crack - 0.1}, "inactive": {"f1": inactive - 0.1}},
        "mean_f1": (crack + inactive) / 2 - 0.1,
    }
    return {
        "validation": {
            "classes": {"crack": {"f1": crack}, "inactive": {"f1": inactive}},
            "mean_f1": (crack + inactive) / 2,
        },
        "validation_at_0.5": at_half,
        "epochs": 30,
        "best_epoch": 20,
        "wall_seconds": 1500.0,
        "train_images_per_second": 25.0,
    }


def test_table_lists_every_split_and_their_mean(benchmark):
    config = defaults_for("resnet18")
    rows = [
        {"model": "resnet18", "seed": 0, "config": config, **metrics(0.70, 0.90), "seconds_to_bar": 120.0},
        {"model": "resnet18", "seed": 1, "config": config, **metrics(0.72, 0.80)},
        {"model": "alexnet", "seed": 0, "config": defaults_for("alexnet"), **metrics(0.60, 0.70)},
    ]
    markdown = benchmark.section(rows, "python benchmarks/train_reference.py --seeds 0 1", 1600)
    assert (
        "| resnet18 | 0 | 0.700 (0.600) | 0.900 (0.800) | **0.800** (0.700) | 30 (20) | 25.0 min | 2.0 min "
        "| — | 25.0 |" in markdown
    )
    assert "| resnet18 | 1 | 0.720 (0.620) | 0.800 (0.700) | **0.760** (0.660) |" in markdown
    assert (
        "| resnet18 | mean of 2 | 0.710 (0.610) | 0.850 (0.750) | **0.780** (0.680) | | | | | |\n"
        "| alexnet | 0 |" in markdown
    )
    assert "alexnet | mean" not in markdown  # one split: no mean line
    header, separator = markdown.splitlines()[-6:-4]
    assert header.count("|") == separator.count("|")
    assert f"precision={config.precision}" in markdown and "--seeds 0 1" in markdown


def test_time_to_accuracy_reads_the_first_epoch_at_the_bar_and_the_best_epoch(benchmark, tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("epoch,val_mean_f1,elapsed_s\n0,0.41,60\n1,0.63,120\n2,0.71,180\n3,0.69,240\n")
    assert benchmark.time_to_accuracy(history) == {"seconds_to_bar": 120.0, "seconds_to_best": 180.0}
    history.write_text("epoch,val_mean_f1,elapsed_s\n0,0.41,60\n1,0.52,120\n")
    assert benchmark.time_to_accuracy(history) == {"seconds_to_bar": None, "seconds_to_best": 120.0}
    history.write_text("epoch,val_mean_f1\n0,0.71\n")  # a run from before the elapsed_s column
    assert benchmark.time_to_accuracy(history) == {"seconds_to_bar": None, "seconds_to_best": None}


def write_run(folder: Path, config: dict, crack: float, inactive: float) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps(metrics(crack, inactive)))


def test_finished_runs_of_the_same_settings_are_reused_and_tabled(benchmark, tmp_path, monkeypatch):
    labels, runs = tmp_path / "labels.csv", tmp_path / "runs"
    trained_before_aug_shift_existed = asdict(defaults_for("resnet18").updated(labels=str(labels), seed=1))
    del trained_before_aug_shift_existed["aug_shift"]
    write_run(runs / "resnet18" / "seed-1", trained_before_aug_shift_existed, 0.7, 0.9)
    write_run(
        runs / "resnet18" / "seed-2",
        asdict(defaults_for("resnet18").updated(labels=str(labels), seed=2, epochs=3)),
        0.5,
        0.5,
    )
    monkeypatch.setattr(
        trainer, "train", lambda *args, **kwargs: pytest.fail("a finished run was trained again")
    )
    benchmark.train_once("resnet18", 1, labels, runs, data=None)
    rows = benchmark.finished_runs(labels, runs)
    assert [(row["model"], row["seed"]) for row in rows] == [("resnet18", 1)]  # seed 2 has other settings
    assert rows[0]["validation"]["mean_f1"] == pytest.approx(0.8)


def test_a_finished_run_of_other_settings_is_kept_and_stops_the_script(benchmark, tmp_path, monkeypatch):
    wanted = asdict(defaults_for("resnet18").updated(labels="labels.csv"))
    assert benchmark.same_settings({**wanted, "labels": str(Path("labels.csv").resolve())}, wanted)
    run = tmp_path / "runs" / "resnet18" / "seed-0"
    write_run(run, {**wanted, "input_size": 96}, 0.7, 0.9)
    monkeypatch.setattr(
        trainer, "train", lambda *args, **kwargs: pytest.fail("the other run was overwritten")
    )
    with pytest.raises(SystemExit, match="other settings"):
        benchmark.train_once("resnet18", 0, Path("labels.csv"), tmp_path / "runs", data=None)
    assert (run / "metrics.json").exists()
