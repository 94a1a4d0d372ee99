"""``auto`` precision follows the CPU's flags; the policy block sets Keras' policy and restores it; importing
the package turns TensorFlow's oneDNN kernels on where that is measured to pay."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import pytest

from pvdefects.errors import UserError
from pvdefects.precision import (
    ONEDNN_VARIABLE,
    cpu_flags,
    enable_onednn,
    onednn_applies,
    precision_policy,
    resolve_precision,
)

ZEN4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SAPPHIRE_RAPIDS = "flags\t\t: fpu avx512f amx_bf16 amx_tile amx_int8\n"
SKYLAKE = "flags\t\t: fpu sse2 avx2 avx512f avx512bw\n"


@pytest.mark.parametrize(
    ("cpuinfo", "expected"), [(ZEN4, "bfloat16"), (SAPPHIRE_RAPIDS, "bfloat16"), (SKYLAKE, "float32")]
)
def test_auto_is_bfloat16_where_the_cpu_has_native_bfloat16(tmp_path, monkeypatch, cpuinfo, expected):
    monkeypatch.setattr("pvdefects.precision.gpu_has_fast_bfloat16", lambda: False)
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    assert resolve_precision("auto", cpu_flags(tmp_path / "cpuinfo")) == expected


def test_named_precisions_stand_and_unknown_ones_are_refused():
    assert resolve_precision("float32", frozenset({"amx_bf16"})) == "float32"
    assert resolve_precision("bfloat16", frozenset()) == "bfloat16"
    with pytest.raises(UserError, match="precision must be one of auto, float32, bfloat16; got 'fp16'"):
        resolve_precision("fp16")


def test_no_cpuinfo_means_no_flags(tmp_path):
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_the_policy_applies_inside_the_block_only():
    with precision_policy("bfloat16") as precision:
        layer = keras.layers.Dense(2)
        assert precision == "bfloat16"
    assert layer.dtype_policy.name == "mixed_bfloat16"
    assert layer.variable_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError), precision_policy("bfloat16"):
        raise RuntimeError("a failed build")
    assert keras.config.dtype_policy().name == "float32"


def onednn_after_import(environment: dict[str, str], first: str = "pvdefects") -> list[str]:
    """``TF_ENABLE_ONEDNN_OPTS`` (or ``unset``) and whether TensorFlow runs oneDNN kernels, after importing
    ``first``, then the other of pvdefects and TensorFlow, in a fresh interpreter with ``environment``."""
    second = "tensorflow" if first == "pvdefects" else "pvdefects"
    code = (
        f"import os, {first}, {second}\n"
        "from tensorflow.python.util import _pywrap_util_port\n"
        f"print(os.environ.get('{ONEDNN_VARIABLE}', 'unset'), _pywrap_util_port.IsMklEnabled())"
    )
    env = {key: value for key, value in os.environ.items() if key != ONEDNN_VARIABLE} | environment
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(not onednn_applies(), reason="oneDNN is switched on only on x86-64 Linux")
def test_importing_the_package_first_turns_onednn_on_unless_the_environment_decides():
    assert onednn_after_import({}) == ["1", "True"]
    assert onednn_after_import({ONEDNN_VARIABLE: "0"}) == ["0", "False"]
    assert onednn_after_import({}, first="tensorflow")[0] == "unset"  # too late: claims nothing


def test_onednn_is_left_alone_elsewhere(monkeypatch):
    monkeypatch.delenv(ONEDNN_VARIABLE, raising=False)
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    enable_onednn()
    assert ONEDNN_VARIABLE not in os.environ
