"""``pvdefects tune``: a hyperparameter study with Optuna."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pvdefects.atomic import write_text
from pvdefects.cli.training_options import resolve_config, training_options
from pvdefects.errors import UserError
from pvdefects.layout import STUDIES_DIR, StudyFolder
from pvdefects.layout import study_name as default_study_name
from pvdefects.training.config import read_settings_file


@training_options()
def tune(
    config: Annotated[
        Path | None,
        typer.Option(
            help="Base settings (.json/.toml, as for train). The settings it names, and those typed as "
            "options, are not searched unless --space or --param asks."
        ),
    ] = None,
    space: Annotated[
        Path | None,
        typer.Option(
            help="Search space file (.toml/.json): NAME = value | [choices] | {low, high, log, step}."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="Fix or restrict one dimension: NAME=VALUE, NAME=A,B,C or NAME=LOW..HIGH[:log]. Repeatable.",
        ),
    ] = None,
    default_space: Annotated[
        bool,
        typer.Option(
            help="Start from the built-in search space (see docs/hyperparameters.md); --no-default-space "
            "searches only --space and --param."
        ),
    ] = True,
    study_name: Annotated[
        str | None,
        typer.Option(
            help="Study name; an existing study of that name is resumed. Default: study-<date>-<time>."
        ),
    ] = None,
    studies_dir: Annotated[Path, typer.Option(help="Folder that holds the study folders.")] = STUDIES_DIR,
    storage: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the study database, e.g. postgresql://user@host/db to share a study "
            "between machines. Default: sqlite in the study folder."
        ),
    ] = None,
    n_trials: Annotated[
        int, typer.Option(help="Trials to run in this process (0: only rewrite the report).")
    ] = 20,
    time_budget: Annotated[
        float | None, typer.Option(help="Start no trial after this many seconds (a running one finishes).")
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            help="mean_f1 (validation mean F1 at tuned thresholds, maximised) or val_loss (minimised)."
        ),
    ] = "mean_f1",
    pruning: Annotated[
        bool, typer.Option(help="Stop trials whose validation curve is below the median of earlier trials.")
    ] = True,
    sampler_seed: Annotated[
        int | None,
        typer.Option(help="Seed of the TPE sampler (leave unset when several machines share a study)."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each trial's epochs, not just one line per trial.")
    ] = False,
    settings: dict[str, Any] | None = None,
) -> None:
    """Search hyperparameters with Optuna; every trial is a run folder under <study>/trials/.

    The study folder gets study.db (unless --storage), trials.csv, best_config.json (for
    `pvdefects train --config`), search_space.json and plots: optimization_history.png,
    param_importances.png, slices.png, intermediate_values.png. Run the same command again
    (same --study-name) to add trials to the study.

    Examples:

        pvdefects tune --labels labels.csv --study-name baseline --n-trials 30
        pvdefects tune --labels labels.csv --model resnet18 --param learning_rate=3e-4..3e-3:log
    """
    import optuna

    from pvdefects.data.sources import load_dataset
    from pvdefects.training.distribution import refuse_multiworker
    from pvdefects.training.trainer import TrainingInterrupted
    from pvdefects.tuning.report import write_report
    from pvdefects.tuning.search_space import Fixed, build_space
    from pvdefects.tuning.study import OBJECTIVES, TrialObjective, check_objective, open_study, run_trials

    if n_trials < 0 or (time_budget is not None and time_budget <= 0):
        raise UserError("--n-trials must be >= 0 and --time-budget > 0")
    base = resolve_config(config, settings)
    refuse_multiworker(base.strategy, "tune")
    fixed = set(settings) | (set(read_settings_file(config)) if config else set())
    search = build_space(fixed, space, param or [], default_space).check(base)
    check_objective(objective, search, base)

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial comes from us
    console = Console()
    name = study_name or default_study_name()
    folder = StudyFolder(studies_dir / name)
    study = open_study(name, folder, objective, storage, pruning, sampler_seed)
    folder.root.mkdir(parents=True, exist_ok=True)

    interrupted = False
    if n_trials:
        described = json.dumps(search.to_data(), indent=2) + "\n"
        if folder.search_space.exists() and folder.search_space.read_text() != described:
            console.print(
                f"[yellow]note:[/] the search space differs from {folder.search_space}; replacing it"
            )
        write_text(folder.search_space, described)
        console.print(
            f"study [bold]{name}[/] ({OBJECTIVES[objective].description}), "
            f"{len(study.trials)} trials so far; search space:"
        )
        for dimension, spec in search.dimensions.items():
            console.print(f"  {dimension:<15} {spec.describe()}", highlight=False)
        # loaded once at the largest input size a trial can pick; smaller ones resize from it
        input_sizes = search.dimensions.get("input_size", Fixed(base.input_size)).candidates()
        data = load_dataset(base.labels, base.images_root, int(max(input_sizes)))
        trial_console = console if verbose else Console(quiet=True)
        trials = TrialObjective(
            base, search, data, folder, objective, trial_console, verbose=2 if verbose else 0
        )
        try:
            run_trials(study, trials, n_trials, time_budget, console)
        except (TrainingInterrupted, KeyboardInterrupt):
            interrupted = True
    write_report(study, folder, objective, console)
    console.print(f"to add trials, run the same command with --study-name {name}")
    if interrupted:
        console.print("[yellow]Interrupted.[/] The unfinished trial is marked failed.")
        raise typer.Exit(130)
