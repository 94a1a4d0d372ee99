"""The HTML report of a run: its gallery holds the errors the metrics count, and it opens offline in a
real browser without errors or requests."""

from __future__ import annotations

import re

import numpy as np
import pytest
from machine import chromium

from pvdefects.data.predictions import read_predictions
from pvdefects.decisions import apply_thresholds
from pvdefects.errors import UserError
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.explain.cells import ExplainedCell
from pvdefects.explain.report import (
    EMPTY_HEATMAP,
    FALSE_NEGATIVE,
    FALSE_POSITIVE,
    ScoredCells,
    error_figure,
    gallery_rows,
    report_html,
    write_report,
)
from pvdefects.layout import RunFolder
from pvdefects.models.saving import load_classifier

FIGURE = re.compile(
    r"<figure class='error' data-class='([^']*)' data-kind='([^']*)' data-filename='([^']*)'>"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory, untrained_run) -> RunFolder:
    """A run on 24 cells with false positives and false negatives of both classes."""
    return untrained_run(tmp_path_factory.mktemp("report"), n=24, size=48)


def expected_errors(run: RunFolder) -> set[tuple[str, str, str]]:
    """(class, kind, filename) of every error of the run's validation predictions at its thresholds."""
    filenames, names, truth, scores = read_predictions(run.predictions)
    decisions = apply_thresholds(scores, load_classifier(run.model)[1].thresholds)
    errors = set()
    for c, name in enumerate(names):
        for row in np.flatnonzero(decisions[:, c] != truth[:, c]):
            kind = FALSE_POSITIVE if decisions[row, c] else FALSE_NEGATIVE
            errors.add((name, kind, filenames[row]))
    return errors


def test_the_gallery_holds_exactly_the_errors_the_metrics_count(run):
    page = report_html(run, gallery_size=100)
    shown = FIGURE.findall(page)
    assert len(shown) == len(set(shown)) and set(shown) == expected_errors(run)

    filenames, names, truth, scores = read_predictions(run.predictions)
    metrics = multilabel_metrics(
        truth, apply_thresholds(scores, load_classifier(run.model)[1].thresholds), names
    )
    for name in names:
        for kind, count in ((FALSE_POSITIVE, "fp"), (FALSE_NEGATIVE, "fn")):
            total = metrics["classes"][name][count]
            assert total > 0 and sum(1 for c, k, _ in shown if (c, k) == (name, kind)) == total
    assert page.count("data:image/png;base64,") == 2 * len(shown) + 3  # cell + heatmap each; 3 plots
    for section in ("Per-class metrics", "at 0.5", "Confusion counts", "Precision-recall", "F1 against"):
        assert section in page
    assert "<td>model</td><td>&quot;simple_cnn&quot;</td>" in page  # the resolved config


def test_the_gallery_shows_the_worst_errors_first():
    truth = np.array([[0], [0], [0], [1], [1], [1], [0]])
    scores = np.array([[0.6], [0.9], [0.7], [0.1], [0.3], [0.8], [0.2]])
    decisions = apply_thresholds(scores, [0.5])
    rows = gallery_rows(truth, decisions, scores, size=2)[0]
    assert rows[FALSE_POSITIVE] == [1, 2]  # the negatives scored highest (0.9, 0.7; not 0.6)
    assert rows[FALSE_NEGATIVE] == [3, 4]  # the positives scored lowest (0.1, 0.3)


def test_an_empty_heatmap_is_said_in_words():
    """An all-zero map draws as a plain blue cell: its caption says why."""
    cells = ScoredCells(["a.png"], [], np.array([[1]]), np.array([[0.1]]), "one cell")
    pixels = np.full((4, 4), 128, np.uint8)
    figure = {
        peak: error_figure(
            ExplainedCell(0, pixels, np.array([0.1]), np.full((1, 4, 4), peak, np.float32)),
            cells,
            0,
            "crack",
            FALSE_NEGATIVE,
            ["crack"],
            0.5,
        )
        for peak in (0.0, 1.0)
    }
    assert EMPTY_HEATMAP in figure[0.0] and EMPTY_HEATMAP not in figure[1.0]
    assert "crack 0.100 (threshold 0.500, label 1)" in figure[1.0]


def test_a_labels_csv_reports_on_its_cells(run, labels_csv, tmp_path):
    page = report_html(run, labels=labels_csv)
    assert f"40 cells of {labels_csv}" in page
    other = tmp_path / "three_classes.csv"
    other.write_text("filename;crack;inactive;dirt\nimages/cell0000.png;0;0;1\n")
    with pytest.raises(UserError, match="do not match the model's"):
        report_html(run, labels=other)
    with pytest.raises(UserError, match="no model.keras"):
        report_html(RunFolder(tmp_path))


@pytest.fixture(scope="module")
def browser():
    with chromium("the report's browser test") as browser:
        yield browser


def test_the_report_opens_offline_in_chromium(run, browser, tmp_path):
    path = write_report(run, out=tmp_path / "report.html", gallery_size=3)
    page = browser.new_page()
    messages, requests = [], []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri(), wait_until="load")

    assert not [m for m in messages if m.startswith(("error", "warning", "page error"))], messages
    assert [url for url in requests if not url.startswith("data:")] == [path.as_uri()]
    images = page.eval_on_selector_all("img", "images => images.map(i => i.complete && i.naturalWidth > 0)")
    assert images and all(images), "every inlined image decodes"
    assert page.locator("figure.error").count() == len(FIGURE.findall(path.read_text()))
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    page.close()
