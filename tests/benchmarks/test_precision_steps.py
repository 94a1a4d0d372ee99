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
    by_type, by_layer = out.split("self time of the ops")[1].split("by layer class")
    assert "Conv2DBackpropFilter" in by_type  # the convolutions' kernels, by op type
    assert "Run " not in by_type and "one_step_on_data" not in by_type  # the Python thread's wait is left out
    assert "Conv2D " in by_layer and "BatchNormalization " in by_layer
    totals, runs = steps.op_self_seconds(tmp_path / "float32")
    assert min(totals.values()) >= 0  # a parent's self time excludes its children's
    model = create_model("simple_cnn", 2, 32)
    convolutions = sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
    filter_gradients = sum(n for name, n in runs.items() if steps.op_type(name).endswith("BackpropFilter"))
    assert convolutions > 0 and filter_gradients == 2 * convolutions  # one per convolution and step
    classes = {layer.name: type(layer).__name__ for layer in model.layers}
    conv = next(layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    gradient = f"gradient_tape/simple_cnn_1/{conv}_1/Conv2DBackpropFilter:Conv2DBackpropFilter"
    assert steps.layer_class(gradient, classes) == "Conv2D"
    assert steps.layer_class("AssignVariableOp_1:AssignVariableOp", classes) == "(no layer)"
