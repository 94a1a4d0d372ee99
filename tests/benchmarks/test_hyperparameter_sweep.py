"""benchmarks/hyperparameter_sweep.py: paired differences against each factor's reference variant."""

import pytest


@pytest.fixture(scope="module")
def sweep(benchmark_script):
    return benchmark_script("hyperparameter_sweep")


def result(variant: str, seed: int, mean_f1: float) -> dict:
    return {
        "variant": variant,
        "seed": seed,
        "mean_f1": mean_f1,
        "mean_f1_at_half": mean_f1 - 0.05,
        "f1_crack": mean_f1,
        "f1_inactive": mean_f1,
        "val_loss": 0.2,
        "best_epoch": 5,
        "minutes": 3.0,
    }


def test_combinations_are_paired_with_their_reference_and_single_factors_with_the_base(sweep):
    combination = next(v for v, (factor, _) in sweep.VARIANTS.items() if factor in sweep.REFERENCE)
    reference = sweep.REFERENCE[sweep.VARIANTS[combination][0]]
    results = [
        result("base", 0, 0.70),
        result("base", 1, 0.72),
        result(reference, 0, 0.80),
        result(reference, 1, 0.74),
        result(combination, 0, 0.78),
        result(combination, 1, 0.77),
    ]
    rows = {row["variant"]: row for row in sweep.summarise(results)}

    assert rows[combination]["delta"] == pytest.approx(((0.78 - 0.80) + (0.77 - 0.74)) / 2)
    assert rows[combination]["wins"] == 1
    assert rows[reference]["delta"] == pytest.approx(((0.80 - 0.70) + (0.74 - 0.72)) / 2)
    assert rows[reference]["wins"] == 2
    assert rows["base"]["wins"] is None
