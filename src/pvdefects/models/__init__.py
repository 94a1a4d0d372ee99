"""Architectures by name: ``create_model("resnet18", num_classes=2)``."""

from pvdefects.models.registry import create_model, list_models

__all__ = ["create_model", "list_models"]
