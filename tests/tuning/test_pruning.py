import optuna
import pytest

from pvdefects.tuning.pruning import PruningCallback


class FakeTrial:
    """Records reports; prunes when told to."""

    def __init__(self, prune: bool):
        self.prune, self.reports = prune, []

    def report(self, value, step):
        self.reports.append((step, value))

    def should_prune(self):
        return self.prune


def test_reports_each_epoch_and_goes_on():
    trial = FakeTrial(prune=False)
    callback = PruningCallback(trial, "val_mean_f1")
    callback.on_epoch_end(0, {"val_mean_f1": 0.25, "val_loss": 0.9})
    callback.on_epoch_end(1, {"val_mean_f1": 0.5, "val_loss": 0.8})
    assert trial.reports == [(1, 0.25), (2, 0.5)]


def test_raises_trial_pruned_when_the_pruner_says_so():
    trial = FakeTrial(prune=True)
    with pytest.raises(optuna.TrialPruned, match="epoch 3: val_loss 0.7000"):
        PruningCallback(trial, "val_loss").on_epoch_end(2, {"val_loss": 0.7})
    assert trial.reports == [(3, 0.7)]


def test_missing_metric_is_an_error_not_a_silent_skip():
    with pytest.raises(KeyError, match="val_mean_f1"):
        PruningCallback(FakeTrial(prune=False), "val_mean_f1").on_epoch_end(0, {"loss": 1.0})


def test_median_pruner_prunes_a_worse_trial():
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=1))
    good = study.ask()
    PruningCallback(good, "val_mean_f1").on_epoch_end(0, {"val_mean_f1": 0.8})
    study.tell(good, 0.8)
    bad = study.ask()
    with pytest.raises(optuna.TrialPruned):
        PruningCallback(bad, "val_mean_f1").on_epoch_end(0, {"val_mean_f1": 0.1})
