"""``auto`` precision follows the CPU's flags; the policy block sets Keras' policy and restores it."""

from __future__ import annotations

import keras
import pytest

from pvdefects.errors import UserError
from pvdefects.precision import cpu_flags, precision_policy, resolve_precision

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
