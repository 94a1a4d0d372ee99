"""Training: config, losses, optimizers, callbacks and the trainer."""
