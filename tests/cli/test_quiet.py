"""No library noise by default: a command prints its own lines only; ``--verbose`` shows TensorFlow's."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image

from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata, save_classifier

TENSORFLOW_LOG_LINE = re.compile(r"^[IWEF]\d{4} ", re.MULTILINE)  # absl's format: I0000 00:00:...


def pvdefects(*arguments: str, cwd) -> subprocess.CompletedProcess:
    """The command as a user runs it: without the test suite's TF_CPP_MIN_LOG_LEVEL."""
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "pvdefects.cli.main", *arguments],
        capture_output=True,
        text=True,
        env={**environment, "COLUMNS": "120"},
        cwd=cwd,
        timeout=300,
    )


def test_commands_print_no_library_lines_unless_verbose(tmp_path):
    model = create_model("simple_cnn", 2, input_size=32)
    save_classifier(
        model, ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32), tmp_path / "m.keras"
    )
    (tmp_path / "cells").mkdir()
    for i in range(2):
        Image.fromarray(np.full((40, 40), 100 + i, np.uint8)).save(tmp_path / "cells" / f"cell{i}.png")
    arguments = ("predict", "m.keras", "--dir", "cells", "--out", "predictions.csv")

    quiet = pvdefects(*arguments, cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("wrote predictions.csv")

    models = pvdefects("models", cwd=tmp_path)
    assert models.returncode == 0 and models.stderr == "" and "resnet18" in models.stdout.split()

    verbose = pvdefects("--verbose", *arguments, cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert TENSORFLOW_LOG_LINE.search(verbose.stderr), verbose.stderr
