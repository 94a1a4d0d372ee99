"""Hyperparameter studies with Optuna: search space, pruning, the study and its report."""
