"""`--strategy multiworker` checks: a missing or bad TF_CONFIG is one line; crossval and tune refuse it."""

from __future__ import annotations

import pytest

from pvdefects.errors import UserError
from pvdefects.training.distribution import check_cluster, refuse_multiworker


@pytest.mark.parametrize(
    ("tf_config", "message"),
    [
        (None, "needs TF_CONFIG"),
        ("{cluster", "TF_CONFIG is not JSON"),
        ('{"cluster": {}, "task": {}}', "names no worker"),
        (
            '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}',
            "not one of its cluster",
        ),
    ],
)
def test_a_missing_or_bad_tf_config_is_one_line(tf_config, message):
    with pytest.raises(UserError, match=message):
        check_cluster({} if tf_config is None else {"TF_CONFIG": tf_config})


def test_crossval_and_tune_refuse_multiworker():
    refuse_multiworker("mirrored", "crossval")
    with pytest.raises(UserError, match="use it with pvdefects train, not tune"):
        refuse_multiworker("multiworker", "tune")
