"""What each command writes where, in one place, so that every command (and every reader of its
files) finds the same ones.

==========================  =============================================================
``pvdefects train``         ``runs/<model>-<date>-<time>/``: a :class:`RunFolder`
``pvdefects crossval``      ``runs/crossval-<model>-<date>-<time>/``: a :class:`CrossValFolder`,
                            one :class:`RunFolder` per fold inside (with ``--repeats``, one
                            :class:`CrossValFolder` per repeat inside)
``pvdefects tune``          ``studies/study-<date>-<time>/``: a :class:`StudyFolder`,
                            one :class:`RunFolder` per trial inside
``pvdefects export``        the run's ``model.zip`` (or ``--out``)
``pvdefects predict``       ``predictions.csv`` (or ``--out``)
``pvdefects evaluate``      ``evaluation.json`` (or ``--out``); ``score`` writes only with ``--out``
``pvdefects explain``       ``explanations/`` (or ``--out``): a heatmap PNG per image and class, scores.csv
``pvdefects report``        the run's ``report.html`` (or ``--out``); ``train`` writes it too
==========================  =============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

RUNS_DIR = Path("runs")  # run and cross-validation folders
STUDIES_DIR = Path("studies")
PREDICTIONS = Path("predictions.csv")
EVALUATION = Path("evaluation.json")
EXPLANATIONS = Path("explanations")


def _now() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}"


def run_name(model: str) -> str:
    return f"{model}-{_now()}"


def crossval_name(model: str) -> str:
    return f"crossval-{model}-{_now()}"


def study_name() -> str:
    return f"study-{_now()}"


@dataclass(frozen=True)
class RunFolder:
    """A training run (``pvdefects train``; also each fold and each trial)."""

    root: Path

    config = property(lambda self: self.root / "config.json")
    split = property(lambda self: self.root / "split.json")
    history = property(lambda self: self.root / "history.csv")
    curves = property(lambda self: self.root / "curves.png")
    best_weights = property(lambda self: self.root / "checkpoints" / "best.weights.h5")
    backup = property(lambda self: self.root / "checkpoints" / "backup")
    tensorboard = property(lambda self: self.root / "tensorboard")
    model = property(lambda self: self.root / "model.keras")
    export = property(lambda self: self.root / "model.zip")  # the SavedModel submission
    metrics = property(lambda self: self.root / "metrics.json")
    predictions = property(lambda self: self.root / "val_predictions.csv")
    thresholds_plot = property(lambda self: self.root / "pr_curves.png")
    report = property(lambda self: self.root / "report.html")  # pvdefects report

    def create(self) -> None:
        (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class CrossValFolder:
    """A cross-validation (``pvdefects crossval``): K fold runs, their out-of-fold results, the ensemble."""

    root: Path

    config = property(lambda self: self.root / "config.json")  # the shared config (fold 0's numbering)
    predictions = property(lambda self: self.root / "oof_predictions.csv")
    metrics = property(lambda self: self.root / "metrics.json")
    export = property(lambda self: self.root / "model.zip")

    def fold(self, k: int) -> RunFolder:
        return RunFolder(self.root / f"fold-{k}")

    def repeat(self, r: int) -> CrossValFolder:
        """The cross-validation of repeat ``r`` (``pvdefects crossval --repeats``)."""
        return CrossValFolder(self.root / f"repeat-{r}")

    def repeats(self) -> list[CrossValFolder]:
        """The repeats' cross-validations found inside, in order (none for a single cross-validation)."""
        found = sorted(self.root.glob("repeat-*"), key=lambda path: int(path.name.removeprefix("repeat-")))
        return [CrossValFolder(path) for path in found]


@dataclass(frozen=True)
class StudyFolder:
    """A hyperparameter study (``pvdefects tune``): its database, report and one run per trial."""

    root: Path

    database = property(lambda self: self.root / "study.db")
    trials_csv = property(lambda self: self.root / "trials.csv")
    best_config = property(lambda self: self.root / "best_config.json")
    search_space = property(lambda self: self.root / "search_space.json")

    def trial_run(self, number: int) -> RunFolder:
        return RunFolder(self.root / "trials" / f"trial-{number:04d}")

    def plot(self, name: str) -> Path:
        return self.root / f"{name}.png"
