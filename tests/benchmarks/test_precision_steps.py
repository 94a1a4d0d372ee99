"""benchmarks/precision_steps.py: a tiny run, timed and profiled."""

import keras

from pvdefects.models import create_model


def test_times_steps_and_lists_the_profiles_top_ops(benchmark_script, tmp_path, capsys):
    steps = benchmark_script("precision_steps")
    tiny = ["--model", "simple_cnn", "--input-size", "32", "--cell-size", "40", "--batch-size", "2"]
    profile = ["--profile", str(tmp_path), "--profile-steps", "2", "--top", "50"]
    steps.main([*tiny, "--steps", "2", "--warmup", "1", "--precisions", "float32", *profile])
    out = capsys.readouterr().out
    assert "float32  " in out and "images/s" in out.splitlines()[-1]
    ops = out.split("top ops by self time")[1]
    assert "Conv2D" in ops  # the convolution kernels, by op type
    assert "Run " not in ops and "one_step_on_data" not in ops  # the Python thread's wait is left out
    totals, runs = steps.op_self_seconds(tmp_path / "float32")
    assert min(totals.values()) >= 0  # a parent's self time excludes its children's
    model = create_model("simple_cnn", 2, 32)
    convolutions = sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
    filter_gradients = sum(n for name, n in runs.items() if name.endswith("Conv2DBackpropFilter"))
    assert convolutions > 0 and filter_gradients == 2 * convolutions  # one per convolution and step
