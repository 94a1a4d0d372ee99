"""Score untrusted submissions (``model.zip`` SavedModels) without trusting them.

Models are programs and TensorFlow is no sandbox: see docs/security.md for the threat model and
``score.py`` for the layers. This package's modules import nothing heavy at import time, because
``runner.py`` runs inside the sandbox, which holds only NumPy, TensorFlow and this package.
"""
