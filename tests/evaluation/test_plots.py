"""The training curves' epoch axis counts whole epochs, also for a run of one or two."""

from __future__ import annotations

import io

import numpy as np
import pytest

from pvdefects.evaluation import plots


@pytest.mark.parametrize("epochs", [1, 2, 3, 12])
def test_the_epoch_axis_has_whole_epochs_only(epochs, tmp_path, monkeypatch):
    history = tmp_path / "history.csv"
    rows = [f"{e},{1 / (e + 1)},{1 / (e + 2)},{e / 20},{e / 20}" for e in range(epochs)]
    history.write_text("epoch,loss,val_loss,val_f1_crack,val_mean_f1\n" + "\n".join(rows) + "\n")
    figures = []
    monkeypatch.setattr(plots.plt, "close", figures.append)  # keep the figure to read its axes
    out = io.BytesIO()
    plots.plot_history(history, out)

    assert out.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    for ax in figures[0].axes:
        low, high = ax.get_xlim()
        ticks = [tick for tick in ax.get_xticks() if low <= tick <= high]
        assert ticks and np.allclose(ticks, np.round(ticks)), (ax.get_title(), ticks)
