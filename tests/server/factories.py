"""Small builders for the server tests: people, challenges, a tiny labelled test set, stored uploads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from django.utils import timezone
from PIL import Image

from pvdefects.server.accounts.models import User
from pvdefects.server.challenges.models import Challenge

PASSWORD = "a long test password 42"


def make_user(name: str, **fields) -> User:
    return User.objects.create_user(f"{name}@example.org", PASSWORD, display_name=name.title(), **fields)


def make_challenge(
    slug: str = "cells", labels: Path | str = "/nonexistent/labels.csv", **fields
) -> Challenge:
    now = timezone.now()
    defaults = {
        "title": f"Challenge {slug}",
        "start": now - timedelta(days=1),
        "deadline": now + timedelta(days=7),
        "public_labels": str(labels),
        "public_images_root": str(Path(labels).parent),
    }
    return Challenge.objects.create(slug=slug, **{**defaults, **fields})


def write_test_set(folder: Path, cells: int = 6, size: int = 32, seed: int = 0) -> Path:
    """``cells`` random size x size PNGs and a labels CSV (crack, inactive) beside them; returns the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = ["filename;crack;inactive"]
    for i in range(cells):
        Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)).save(folder / f"cell{i}.png")
        lines.append(f"cell{i}.png;{i % 2};{(i // 2) % 2}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return folder / "labels.csv"
