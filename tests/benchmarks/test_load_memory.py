"""benchmarks/load_memory.py: its cells and its table."""

import os

import numpy as np
from PIL import Image


def test_cells_are_hard_links_of_upscaled_sources_with_every_label_combination(benchmark_script, tmp_path):
    load_memory = benchmark_script("load_memory")
    labels = load_memory.write_cells(tmp_path / "cells", cells=20, size=64)
    rows = [row.split(";") for row in labels.read_text().splitlines()]
    assert rows[0] == ["filename", "crack", "inactive"] and len(rows) == 21
    assert {tuple(row[1:]) for row in rows[1:]} == {("0", "0"), ("1", "0"), ("0", "1"), ("1", "1")}
    first = labels.parent / rows[1][0]
    assert np.asarray(Image.open(first)).shape == (64, 64)
    assert os.stat(first).st_nlink == 3  # source00.png, cell00000.png and cell00016.png


def test_table_reports_the_peak_above_the_import_baseline(benchmark_script):
    load_memory = benchmark_script("load_memory")
    result = {
        "source": 2000,
        "cells": 1600,
        "decoded_mib": 6103.5,
        "array_mib": 76.6,
        "baseline_mib": 649.2,
        "peak_mib": 895.8,
        "load_seconds": 87.24,
    }
    markdown = load_memory.report([result], 224, "python benchmarks/load_memory.py")
    assert "| 2000 | 1600 | 6104 | 77 | 247 | 649 | 87.2 |" in markdown
    assert "`python benchmarks/load_memory.py`" in markdown and "input size 224" in markdown
