"""benchmarks/throughput.py: its tables, and a run of the script on a tiny configuration."""

import sys

import pytest


@pytest.fixture(scope="module")
def throughput(benchmark_script):
    return benchmark_script("throughput")


def test_tables_give_ratios_to_pytorch_and_to_the_trainers_compilation(throughput):
    rate = lambda median: throughput.Rate(median, median - 1, median + 1)  # noqa: E731
    rows = [
        {
            "model": "resnet18",
            "size": 224,
            "precision": "bfloat16",
            "params": 4900546,
            "train": rate(36.0),
            "infer": rate(136.0),
            "torch_params": 4900546,
            "torch_train": rate(50.9),
            "torch_infer": rate(170.0),
        }
    ]
    levers = [
        {"model": "resnet18", "size": 224, "variant": "plain", "precision": "bfloat16"}
        | {"train": rate(36.0), "infer": rate(136.0)},
        {"variant": "xla", "precision": "bfloat16", "error": "InvalidArgumentError: no kernel"},
        {"variant": "fewer calls", "precision": "bfloat16", "train": rate(45.0), "infer": rate(68.0)},
    ]
    markdown = throughput.throughput_section(rows, {224: rate(720.0)}, levers, "Command: `x`")
    assert "| 4,900,546 / 4,900,546 | **36.0** | 50.9 | 0.71 | **136.0** | 170.0 | 0.80 |" in markdown
    assert "| 224 | 720.0 | 36.0 | 20x |" in markdown
    assert "| xla | bfloat16 | fails: InvalidArgumentError: no kernel | | | |" in markdown
    assert "| fewer calls | bfloat16 | 45.0 | 1.25 | 68.0 | 0.50 |" in markdown


def test_runs_on_a_tiny_configuration_without_pytorch(throughput, tmp_path, monkeypatch):
    # each model is measured in a fresh process, which imports the script by its name
    monkeypatch.setitem(sys.modules, "throughput", throughput)
    out = tmp_path / "benchmarks.md"
    tiny = ["--models", "simple_cnn", "--sizes", "32", "--precisions", "float32", "--steps", "1"]
    skipped = ["--levers", "none", "--no-torch", "--no-export"]
    throughput.main([*tiny, "--repeats", "1", *skipped, "--out", str(out)])
    text = out.read_text()
    assert "<!-- begin throughput -->" in text and "<!-- begin inference -->" not in text
    assert "| simple_cnn | 32 | float32 | 97,650 / - | **" in text
    assert "| 32 | " in text.split("pipeline / training |")[1]
