"""Evaluation: per-class metrics, threshold tuning, tables and plots."""
