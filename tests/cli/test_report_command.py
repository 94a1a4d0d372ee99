"""``pvdefects report`` writes the run's page; ``pvdefects train`` writes it into every run folder."""

from __future__ import annotations

import json

from pvdefects.data.predictions import read_predictions
from pvdefects.decisions import apply_thresholds


def test_report_of_a_run(tmp_path, untrained_run, pvdefects_cli):
    run = untrained_run(tmp_path, n=8, size=40)
    code, stdout, _ = pvdefects_cli("report", run.root, "--gallery", 1)
    assert code == 0 and stdout.strip() == f"wrote {run.report}"
    _, _, truth, scores = read_predictions(run.predictions)
    decisions = apply_thresholds(scores, [0.5, 0.4])
    kinds_with_errors = ((decisions == 1) & (truth == 0)).any(axis=0).sum() + (
        (decisions == 0) & (truth == 1)
    ).any(axis=0).sum()
    assert run.report.read_text().count("<figure class='error'") == kinds_with_errors  # 1 per class and kind

    code, _, stderr = pvdefects_cli("report", run.root, "--out", tmp_path / "absent" / "r.html")
    assert code == 2 and "absent: folder not found (for --out)" in stderr
    code, _, stderr = pvdefects_cli("report", tmp_path / "cells")
    assert code == 2 and "no model.keras; not a finished run folder" in stderr


def test_report_of_a_run_trained_in_another_folder(tmp_path, untrained_run, pvdefects_cli, monkeypatch):
    """The run's config names its labels as train was given them, relative to where it ran."""
    run = untrained_run(tmp_path, n=8, size=40)
    config = json.loads(run.config.read_text())
    run.config.write_text(json.dumps(config | {"labels": "cells/labels.csv"}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    code, _, stderr = pvdefects_cli("report", run.root)
    assert code == 2 and stderr.count("\n") == 1 and not run.report.exists()
    assert "cells/labels.csv: labels file not found (the run's labels" in stderr and "--images-root" in stderr
    code, stdout, _ = pvdefects_cli("report", run.root, "--images-root", tmp_path / "cells", "--gallery", 1)
    assert code == 0 and stdout.strip() == f"wrote {run.report}"
