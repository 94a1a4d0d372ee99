"""Inference: load any model form behind one interface, predict scores and decisions."""
