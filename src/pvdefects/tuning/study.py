"""An Optuna study of training runs: its folder, its persistent storage and its objective.

Each trial is an ordinary run folder (``<study>/trials/trial-0007/``), so everything that reads
run folders (``evaluate``, TensorBoard) works on trials too. The study itself lives
in an SQLAlchemy database: SQLite in the study folder by default, or any URL (PostgreSQL, MySQL)
that several machines share, each running the same command (Optuna's distributed mode).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import keras
import optuna
import sqlalchemy.exc
import tensorflow as tf
from rich.console import Console

from pvdefects.data.sources import Dataset
from pvdefects.errors import UserError
from pvdefects.evaluation.plots import read_history
from pvdefects.layout import StudyFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.trainer import train
from pvdefects.tuning.pruning import PruningCallback
from pvdefects.tuning.search_space import SearchSpace


@dataclass(frozen=True)
class Objective:
    direction: str
    monitor: str  # the per-epoch log value the pruner sees
    description: str


OBJECTIVES = {
    "mean_f1": Objective("maximize", "val_mean_f1", "validation mean F1 at tuned thresholds"),
    "val_loss": Objective("minimize", "val_loss", "best validation loss"),
}
# Settings that change what the loss measures: trials that differ in them have incomparable losses.
LOSS_DEFINING = ("loss", "pos_weight", "focal_gamma", "label_smoothing")
HEARTBEAT_SECONDS = 60  # a trial silent for 2x this long (its process died) is failed and retried once
PRUNER_STARTUP_TRIALS = 5  # no pruning until this many trials have finished...
PRUNER_WARMUP_EPOCHS = 3  # ... nor within a trial's first epochs, which say little


def check_objective(objective: str, space: SearchSpace, base: TrainConfig) -> None:
    if objective not in OBJECTIVES:
        raise UserError(f"--objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    varied = [name for name in space.searched(base) if name in LOSS_DEFINING]
    if objective == "val_loss" and varied:
        raise UserError(
            f"--objective val_loss cannot compare trials that search {', '.join(varied)} (each trial's loss "
            "measures something else); fix them with --param, or use --objective mean_f1"
        )


def open_study(
    name: str,
    folder: StudyFolder,
    objective: str,
    storage: str | None = None,
    pruning: bool = True,
    sampler_seed: int | None = None,
) -> optuna.Study:
    """Create the study, or load it if the storage already has one of this name (to resume it,
    or to join the machines already working on it)."""
    if storage is None:
        folder.root.mkdir(parents=True, exist_ok=True)  # the SQLite file lives there
    url = storage or f"sqlite:///{folder.database.resolve()}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", optuna.exceptions.ExperimentalWarning
            )  # heartbeats are "experimental"
            rdb = optuna.storages.RDBStorage(
                url,
                heartbeat_interval=HEARTBEAT_SECONDS,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
    except (ImportError, sqlalchemy.exc.SQLAlchemyError) as error:
        raise UserError(f"--storage {url}: cannot open ({str(error).splitlines()[0]})") from None
    pruner = (
        optuna.pruners.MedianPruner(
            n_startup_trials=PRUNER_STARTUP_TRIALS, n_warmup_steps=PRUNER_WARMUP_EPOCHS
        )
        if pruning
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(
        storage=rdb,
        study_name=name,
        direction=OBJECTIVES[objective].direction,
        sampler=optuna.samplers.TPESampler(seed=sampler_seed),
        pruner=pruner,
        load_if_exists=True,
    )
    stored = study.user_attrs.get("objective")
    if stored is None:
        study.set_user_attr("objective", objective)
    elif stored != objective:
        raise UserError(f"study {name!r} optimises {stored}, not {objective}; pass --objective {stored}")
    return study


class TrialObjective:
    """Optuna's objective: sample a config, train it into the trial's run folder, return the score.

    The data set is loaded once by the caller and shared by every trial of the process.
    """

    def __init__(
        self,
        base: TrainConfig,
        space: SearchSpace,
        data: Dataset,
        folder: StudyFolder,
        objective: str,
        console: Console,
        verbose: int = 0,
    ):
        self.base, self.space, self.data, self.folder = base, space, data, folder
        self.objective, self.console, self.verbose = OBJECTIVES[objective], console, verbose
        self.name = objective

    def __call__(self, trial: optuna.Trial) -> float:
        config = self.space.sample(trial, self.base)
        run = self.folder.trial_run(trial.number)
        trial.set_user_attr("run_folder", str(run.root))
        trial.set_user_attr("config", asdict(config))
        try:
            result = train(
                config,
                run,
                data=self.data,
                verbose=self.verbose,
                console=self.console,
                extra_callbacks=[PruningCallback(trial, self.objective.monitor)],
                keep_backup=False,  # a trial is never resumed
            )
        finally:
            keras.backend.clear_session()  # free the trial's graph before the next one builds its own
        val_loss = min(read_history(run.history)["val_loss"])
        scores = {"mean_f1": result.metrics["mean_f1"], "val_loss": val_loss}
        for key, value in scores.items():
            trial.set_user_attr(key, value)
        trial.set_user_attr("epochs", result.epochs)
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("thresholds", result.thresholds)
        return scores[self.name]


def run_trials(
    study: optuna.Study,
    objective: TrialObjective,
    n_trials: int | None,
    timeout: float | None,
    console: Console,
) -> None:
    """Run trials until ``n_trials`` more have finished or ``timeout`` seconds have passed (a
    running trial is finished first). A trial that runs out of accelerator memory counts as failed
    and the study goes on; any other error stops it."""

    def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        console.print(trial_line(study, trial, objective.name))

    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=timeout,
        catch=(tf.errors.ResourceExhaustedError,),
        callbacks=[report],
        gc_after_trial=True,
    )


def format_value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def trial_line(study: optuna.Study, trial: optuna.trial.FrozenTrial, objective: str) -> str:
    """One line per finished trial: its fate, score, the best so far and its parameters."""
    params = " ".join(f"{k}={format_value(v)}" for k, v in trial.params.items())
    state = trial.state.name.lower()
    if trial.state == optuna.trial.TrialState.COMPLETE:
        best = study.best_trial
        state = f"{objective} {trial.value:.4f} (best {best.value:.4f}, trial {best.number})"
    elif trial.state == optuna.trial.TrialState.PRUNED and trial.intermediate_values:
        state = f"pruned after epoch {max(trial.intermediate_values)}"
    seconds = f", {trial.duration.total_seconds():.0f} s" if trial.duration else ""
    return f"trial {trial.number}: {state}{seconds}; {params}"
