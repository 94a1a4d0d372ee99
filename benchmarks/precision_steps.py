"""Training-step time of one net in float32 and in bfloat16, to decide what ``--precision auto`` picks.

    python benchmarks/precision_steps.py [--model resnet18] [--input-size 224] [--batch-size 32]
                                         [--cell-size 300] [--steps 8] [--warmup 3]
                                         [--precisions float32 bfloat16]
                                         [--inter-op N] [--intra-op N] [--profile DIR]

Builds the model as ``pvdefects train`` does (``create_model`` under ``precision_policy``, AdamW,
the BCE loss), runs ``warmup`` training steps on one batch of random ``cell-size`` px cells, then
times ``steps`` more, in each precision, one after the other in this process. Prints the median
seconds per step and images/s of each and the CPU's bfloat16 flags; the figures go to
docs/hyperparameters.md, "Precision", by hand. Run it under the CPU lock.

``--inter-op``/``--intra-op`` set TensorFlow's thread pools (``tf.config.threading``; 0 keeps its
default, one thread per core), which is possible only before its first op, so thread settings are
compared in separate processes. ``--profile DIR`` traces ``--profile-steps`` more steps with
``tf.profiler`` after the timed ones (viewable in TensorBoard's profile tab) and prints the ops that
took the most time in them, summed by op type and by the class of the Keras layer they belong to
(self time: time inside nested ops is counted once, for the innermost).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pvdefects  # noqa: E402, F401, I001  (before TensorFlow: registers the layers, turns oneDNN on)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.util import _pywrap_util_port  # noqa: E402  (whether oneDNN is on)

from pvdefects.models import create_model  # noqa: E402
from pvdefects.precision import cpu_flags, precision_policy  # noqa: E402
from pvdefects.training.losses import MultiLabelLoss  # noqa: E402


def op_self_seconds(logdir: Path) -> tuple[Counter, Counter]:
    """Seconds of self time, and number of runs, per event name on TensorFlow's threads in the host
    traces under ``logdir`` (``*.xplane.pb`` files of ``tf.profiler``; the Python thread, which
    waits in the step function, is left out). An op kernel's event name is ``scope/op_name:OpType``
    (the scope names the Keras layer, under ``gradient_tape/`` for its gradient), other events are
    labels such as ``ExecutorState::Process`` (its self time: the executor's own work between
    kernels). Events on one thread nest, and a parent's time spent in its children is not counted
    for it."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    totals: Counter = Counter()
    runs: Counter = Counter()
    for path in logdir.rglob("*.xplane.pb"):
        space = xplane_pb2.XSpace.FromString(path.read_bytes())
        for plane in space.planes:
            if not plane.name.startswith("/host:"):
                continue
            for line in plane.lines:
                if not line.name.startswith("tf_"):
                    continue
                events = sorted(line.events, key=lambda e: (e.offset_ps, -e.duration_ps))
                stack: list[list] = []  # [end_ps, name, self_ps]
                for event in events + [None]:
                    start = None if event is None else event.offset_ps
                    while stack and (start is None or start >= stack[-1][0]):
                        _, name, self_ps = stack.pop()
                        totals[name] += self_ps / 1e12
                        runs[name] += 1
                    if event is None:
                        break
                    if stack:
                        stack[-1][2] -= event.duration_ps
                    name = plane.event_metadata[event.metadata_id].name
                    stack.append([start + event.duration_ps, name, event.duration_ps])
    return totals, runs


def op_type(name: str) -> str:
    """``Conv2D`` for the event name ``model/conv/Conv2D:Conv2D#id=3#``."""
    return name.rsplit(":", 1)[-1].split("#")[0]


def layer_class(name: str, classes: dict[str, str]) -> str:
    """The class of the Keras layer (``classes``: layer name -> class name) whose scope holds the op
    ``name`` (in the trace a layer's scope may carry a ``_1`` suffix), else ``(no layer)``: the
    optimizer, the loss, the executor."""
    for part in name.split(":")[0].split("/"):
        layer = classes.get(part) or classes.get(part.rsplit("_", 1)[0])
        if layer:
            return layer
    return "(no layer)"


def print_profile(totals: Counter, runs: Counter, steps: int, top: int, classes: dict[str, str]) -> None:
    """The ``top`` op types and the layer classes by self time per step, as shares of all op time
    (which exceeds the step's wall time where ops run side by side on TensorFlow's threads)."""
    traced = sum(totals.values())
    for title, key in (("op type", op_type), ("layer class", lambda name: layer_class(name, classes))):
        seconds, count = Counter(), Counter()
        for name, value in totals.items():
            seconds[key(name)] += value
            count[key(name)] += runs[name]
        print(f"  by {title}: s/step, share of op time, runs/step")
        for group, value in seconds.most_common(top):
            share = 100 * value / traced
            print(f"    {group:36s} {value / steps:7.3f} {share:5.1f} % {count[group] / steps:6.0f}")


def compiled_model(precision: str, args: argparse.Namespace) -> keras.Model:
    keras.utils.set_random_seed(0)
    with precision_policy(precision):
        model = create_model(args.model, 2, args.input_size)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=MultiLabelLoss())
    return model


def median_step_seconds(precision: str, args: argparse.Namespace) -> float:
    model = compiled_model(precision, args)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (args.batch_size, args.cell_size, args.cell_size, 1)).astype(np.float32)
    labels = rng.integers(0, 2, (args.batch_size, 2)).astype(np.float32)
    for _ in range(args.warmup):
        model.train_on_batch(images, labels)
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        model.train_on_batch(images, labels)
        times.append(time.perf_counter() - started)
    if args.profile:
        logdir = Path(args.profile) / precision
        tf.profiler.experimental.start(str(logdir))
        for _ in range(args.profile_steps):
            model.train_on_batch(images, labels)
        tf.profiler.experimental.stop()
        print(f"{precision}: self time of the ops in {args.profile_steps} profiled steps (trace in {logdir})")
        classes = {layer.name: type(layer).__name__ for layer in model.layers}
        print_profile(*op_self_seconds(logdir), args.profile_steps, args.top, classes)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cell-size", type=int, default=300, help="side of the random cells fed in")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--precisions", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"]
    )
    parser.add_argument("--inter-op", type=int, default=0, help="inter-op threads (0: TensorFlow's default)")
    parser.add_argument("--intra-op", type=int, default=0, help="intra-op threads (0: TensorFlow's default)")
    parser.add_argument("--profile", help="trace --profile-steps steps into this folder, print the top ops")
    parser.add_argument("--profile-steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="ops to print from the profile")
    args = parser.parse_args(argv)
    if args.inter_op:  # only before TensorFlow's first op
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    if args.intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op)
    flags = sorted(flag for flag in cpu_flags() if "bf16" in flag or flag.startswith("amx"))
    print(
        f"{args.model} {args.input_size} px from {args.cell_size} px cells, batch {args.batch_size};\n"
        f"bfloat16 flags: {flags or 'none'}; threads inter {args.inter_op} intra {args.intra_op};\n"
        f"oneDNN env: {sorted(k + '=' + v for k, v in os.environ.items() if 'ONEDNN' in k) or 'none'}; "
        f"TensorFlow runs oneDNN kernels: {_pywrap_util_port.IsMklEnabled()}"
    )
    for precision in args.precisions:
        seconds = median_step_seconds(precision, args)
        print(f"{precision:8s} {seconds:.3f} s/step  {args.batch_size / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
