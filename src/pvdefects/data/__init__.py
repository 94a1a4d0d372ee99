"""Data: labels CSV, image decoding, the built-in ELPV source, splits, sampling and tf.data pipelines."""
