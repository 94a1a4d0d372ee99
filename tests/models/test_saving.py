"""A run's model.keras outside pvdefects: plain Keras loads it after ``import pvdefects``."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata, save_classifier

LOAD_WITH_PLAIN_KERAS = """
import sys
import numpy as np
import pvdefects  # registers the package's layers; nothing else of it is used
import keras

model = keras.saving.load_model(sys.argv[1], compile=False)
np.save(sys.argv[3], np.asarray(model(np.load(sys.argv[2]))))
"""


def test_keras_load_model_reads_model_keras_after_importing_the_package(tmp_path):
    model = create_model("simple_cnn", 2, input_size=32)
    save_classifier(
        model, ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32), tmp_path / "m.keras"
    )
    x = np.random.default_rng(0).uniform(0, 255, (2, 40, 40, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_WITH_PLAIN_KERAS,
            str(tmp_path / "m.keras"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), np.asarray(model(x, training=False)), atol=1e-5)
