"""What a study leaves in its folder: trials.csv, best_config.json, plots, and a table on screen.

Everything is rebuilt from the storage, so the report covers the trials of every machine that
worked on the study, and ``pvdefects tune --n-trials 0`` refreshes it without training.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from optuna.visualization import matplotlib as optuna_plots  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pvdefects.atomic import replacing, write_json, write_text  # noqa: E402
from pvdefects.layout import StudyFolder  # noqa: E402
from pvdefects.training.config import TrainConfig  # noqa: E402
from pvdefects.tuning.study import format_value

SCORE_ATTRS = ("mean_f1", "val_loss", "epochs", "best_epoch", "run_folder")
# name -> (plot function, completed trials it needs)
PLOTS = {
    "optimization_history": (optuna_plots.plot_optimization_history, 1),
    "param_importances": (optuna_plots.plot_param_importances, 2),
    "slices": (optuna_plots.plot_slice, 1),
    "intermediate_values": (optuna_plots.plot_intermediate_values, 1),
}


def completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def trials_csv_text(study: optuna.Study) -> str:
    """One row per trial: number, state, objective value, duration, parameters, scores, folder."""
    trials = study.get_trials(deepcopy=False)
    params = sorted({name for trial in trials for name in trial.params})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "state", "value", "duration_s", *params, *SCORE_ATTRS])
    for trial in trials:
        duration = f"{trial.duration.total_seconds():.1f}" if trial.duration else ""
        writer.writerow(
            [trial.number, trial.state.name, "" if trial.value is None else trial.value, duration]
            + [trial.params.get(name, "") for name in params]
            + [trial.user_attrs.get(name, "") for name in SCORE_ATTRS]
        )
    return out.getvalue()


def write_best_config(study: optuna.Study, path: Path) -> TrainConfig | None:
    """The best trial's full config, as a file ``pvdefects train --config`` accepts."""
    if not completed(study):
        return None
    config = TrainConfig(**study.best_trial.user_attrs["config"])
    write_json(path, asdict(config))
    return config


def write_plots(study: optuna.Study, folder: StudyFolder) -> dict[str, str]:
    """Draw each plot the study has enough trials for; returns name -> why it was skipped."""
    skipped = {}
    finished = len(completed(study))
    for name, (plot, needed) in PLOTS.items():
        if finished < needed:
            skipped[name] = f"needs {needed} completed trial(s), the study has {finished}"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
                axes = plot(study)
        except (ValueError, RuntimeError) as error:  # e.g. importances when no parameter varies
            skipped[name] = str(error)
            plt.close("all")
            continue
        figure = np.ravel(axes)[0].figure
        with replacing(folder.plot(name), ".png") as partial:
            figure.savefig(partial, dpi=100, bbox_inches="tight")
        plt.close(figure)
    return skipped


def summary_table(study: optuna.Study, objective: str, top: int = 10) -> Table:
    """The best ``top`` trials, best first, and a count of every state."""
    trials = completed(study)
    trials.sort(key=lambda t: t.value, reverse=study.direction == optuna.study.StudyDirection.MAXIMIZE)
    counts = {
        state.name.lower(): len(study.get_trials(deepcopy=False, states=(state,))) for state in TrialState
    }
    caption = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
    table = Table(
        title=f"study {study.study_name}: best trials by {objective}", caption=caption or "no trials"
    )
    for column in ("trial", objective, "epochs", "seconds", "parameters"):
        table.add_column(column, justify="left" if column == "parameters" else "right")
    for trial in trials[:top]:
        table.add_row(
            str(trial.number),
            f"{trial.value:.4f}",
            str(trial.user_attrs.get("epochs", "")),
            f"{trial.duration.total_seconds():.0f}" if trial.duration else "",
            " ".join(f"{k}={format_value(v)}" for k, v in trial.params.items()),
        )
    return table


def write_report(study: optuna.Study, folder: StudyFolder, objective: str, console: Console) -> None:
    """Write trials.csv, best_config.json and the plots; print the summary table."""
    write_text(folder.trials_csv, trials_csv_text(study))
    best = write_best_config(study, folder.best_config)
    skipped = write_plots(study, folder)
    console.print(summary_table(study, objective))
    for name, reason in skipped.items():
        console.print(f"[dim]{name}.png not drawn: {reason}[/]")
    if best is not None:
        console.print(
            f"best: trial {study.best_trial.number}, {objective} {study.best_value:.4f}; "
            f"train it again with: pvdefects train --config {folder.best_config}"
        )
    console.print(f"study folder: {folder.root}")
