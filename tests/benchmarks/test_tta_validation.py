"""benchmarks/tta_validation.py: the table of validation F1 without and with test-time augmentation."""

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tta(benchmark_script):
    return benchmark_script("tta_validation")


def figures(plain: float, with_tta: float) -> dict[str, float]:
    return {
        "plain tuned": plain,
        "plain 0.5": plain - 0.05,
        "tta tuned": with_tta,
        "tta 0.5": with_tta - 0.04,
    }


def test_table_has_each_run_the_difference_and_the_mean(tta):
    rows = {Path("runs/a"): figures(0.80, 0.79), Path("runs/b"): figures(0.74, 0.76)}
    markdown = tta.section(rows, "python benchmarks/tta_validation.py")
    assert "| runs/a | 0.800 (0.750) | 0.790 (0.750) | -0.010 |" in markdown
    assert "| runs/b | 0.740 (0.690) | 0.760 (0.720) | +0.020 |" in markdown
    assert "| mean of 2 | 0.770 (0.720) | 0.775 (0.735) | +0.005 |" in markdown
