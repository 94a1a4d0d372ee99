"""Explain a model's scores: Grad-CAM heatmaps of the cells and the HTML report of a run."""
