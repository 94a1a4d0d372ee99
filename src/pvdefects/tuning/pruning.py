"""Stop hopeless trials early: report each epoch's validation metric to Optuna's pruner."""

from __future__ import annotations

import keras
import optuna


class PruningCallback(keras.callbacks.Callback):
    """Report ``logs[monitor]`` to ``trial`` after each epoch (step = epoch number, from 1) and
    raise :class:`optuna.TrialPruned` when the pruner judges the trial worse than its peers.

    It has to run after the trainer's validation pass, which writes ``val_loss`` and
    ``val_mean_f1`` into the epoch's logs; ``train(extra_callbacks=...)`` places it there.
    """

    def __init__(self, trial: optuna.Trial, monitor: str):
        super().__init__()
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(f"the epoch's logs have no {self.monitor!r} to report (keys: {', '.join(logs)})")
        value = float(logs[self.monitor])
        self.trial.report(value, step=epoch + 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}: {self.monitor} {value:.4f}")
