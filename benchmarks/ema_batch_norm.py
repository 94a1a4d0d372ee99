"""Which cells should batch-norm statistics of EMA-averaged weights come from? Print the answer.

    python benchmarks/ema_batch_norm.py RUN [--weights FILE]

Loads the weights of a run trained with ``--ema-momentum`` (by default its resume backup, i.e. the
last finished epoch while it trains; or ``--weights``, e.g. ``RUN/checkpoints/best.weights.h5``) and
scores its validation cells with batch-norm statistics recomputed three ways: as saved, on 512
training cells as they come (the natural class mix, no augmentation), and on 16 batches of the
training stream (class-balanced sampling and augmentation, as the network was trained).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path)
    parser.add_argument("--weights", type=Path, help="Default: RUN/checkpoints/backup/latest.weights.h5")
    args = parser.parse_args()

    import pvdefects  # noqa: F401, I001  (before Keras: turns TensorFlow's oneDNN kernels on)
    import keras
    import numpy as np

    from pvdefects.data.pipeline import inference_dataset
    from pvdefects.data.sources import load_dataset
    from pvdefects.decisions import apply_thresholds, sigmoid
    from pvdefects.evaluation.metrics import multilabel_metrics
    from pvdefects.layout import RunFolder
    from pvdefects.models.registry import create_model
    from pvdefects.training.callbacks import recalibrate_batch_norm
    from pvdefects.training.config import TrainConfig
    from pvdefects.training.trainer import (
        EMA_CALIBRATION_IMAGES,
        build_loss,
        ema_calibration_batches,
        split_indices,
        training_stream,
    )

    run = RunFolder(args.run)
    config = TrainConfig(**json.loads(run.config.read_text()))
    weights = args.weights or run.backup / "latest.weights.h5"
    data = load_dataset(config.labels, config.images_root)
    train_idx, val_idx = split_indices(data.labels, config)
    train_set, val_set = data.subset(train_idx), data.subset(val_idx)
    loss = build_loss(config, train_set.labels)
    model = create_model(
        config.model, len(data.class_names), config.input_size, config.normalization, config.dropout
    )

    natural = np.random.default_rng(config.seed).permutation(len(train_set))[:EMA_CALIBRATION_IMAGES]
    stream = ema_calibration_batches(training_stream(train_set, config), config)
    calibrations = {
        "as saved": None,
        f"{len(natural)} training cells as they come": inference_dataset(
            train_set.images[natural], config.batch_size
        ),
        f"{int(stream.cardinality())} batches of the training stream": (x for x, _ in stream),
    }
    print(f"{weights} (balance {config.balance}, {len(val_set)} validation cells)\n")
    print("| batch-norm statistics from | validation loss | mean F1 at 0.5 |\n| --- | --- | --- |")
    for name, batches in calibrations.items():
        model.load_weights(weights)
        if batches is not None:
            recalibrate_batch_norm(model, batches)
        logits = model.predict(inference_dataset(val_set.images, config.batch_size), verbose=0)
        value = float(keras.ops.convert_to_numpy(loss(val_set.labels.astype("float32"), logits)))
        predicted = apply_thresholds(sigmoid(logits), [0.5] * len(data.class_names))
        print(
            f"| {name} | {value:.3f} | "
            f"{multilabel_metrics(val_set.labels, predicted, data.class_names)['mean_f1']:.3f} |"
        )


if __name__ == "__main__":
    main()
