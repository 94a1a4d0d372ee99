"""Training and inference images/s of the registered nets next to the same nets in PyTorch, in one run.

    flock /work/notes/cpu.lock python benchmarks/throughput.py \\
        [--models resnet18 alexnet efficientnet_lite0] [--sizes 224 300] [--precisions float32 bfloat16] \\
        [--steps 2] [--repeats 3] [--levers resnet18] [--no-export]

For every model, network input size and precision, one after the other:

- pvdefects (Keras 3 on TensorFlow): ``create_model`` compiled as ``pvdefects train`` compiles it
  (AdamW of the model's recommended settings, the multi-label sigmoid cross-entropy), one training
  step = ``fit`` on a batch of 32 held in memory; inference = ``predict_on_batch`` of 32. bfloat16 is
  Keras' ``mixed_bfloat16`` policy (:mod:`pvdefects.precision`).
- PyTorch: the twin of benchmarks/torch_nets.py in channels-last format, AdamW (same rate and
  decay), ``BCEWithLogitsLoss``; bfloat16 is ``torch.autocast("cpu", torch.bfloat16)``; inference
  under ``torch.inference_mode()`` in eval mode.
- Each figure is the median of ``--repeats`` timed repeats of ``--steps`` steps, after one warm-up
  repeat (tracing, allocation). Both sides get raw 0-255 cells at the input size and resize and
  standardise them inside the net.

Then, per size: the training input pipeline alone (``training_dataset`` with the recommended
sampling and augmentation, batches of 32 pulled from the iterator), against the fastest training rate
measured at that size; per model and precision: ``model.zip`` as ``pvdefects export`` writes it at
the first size, fed 32 cells of 300x300 through TensorFlow's SavedModel signature, and (float32)
through ONNX Runtime after conversion by tf2onnx (a failed conversion is reported with its error).
Last, the levers of item 3 of issue 15 on the ``--levers`` model at the first size: XLA
(``jit_compile=True``) and ``steps_per_execution`` for the training step, and the in-model resize.
Each model's measurements, each lever's and each export run in a fresh process, one after the other.

Writes the "throughput" and "inference" sections of docs/benchmarks.md. PyTorch, tf2onnx and ONNX
Runtime are benchmark-only dependencies: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

BATCH = 32
CLASSES = ["crack", "inactive"]
CELL = 300  # pixels: the side of an ELPV cell, what an exported model is fed
DEFAULT_MODELS = ("resnet18", "alexnet", "efficientnet_lite0")
INSTALL_HINT = 'pip install -e ".[bench]"  (PyTorch 2.13 CPU, tf2onnx, ONNX Runtime)'


class Rate(NamedTuple):
    """Images/s: the median of the timed repeats, and the slowest and fastest repeat."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.median:.1f}"


def timed(run: Callable[[], object], images: int, repeats: int) -> Rate:
    """Call ``run`` once untimed, then ``repeats`` times timed; ``images`` per call."""
    run()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return Rate(images / statistics.median(seconds), images / max(seconds), images / min(seconds))


def cells(size: int, count: int = BATCH, seed: int = 0):
    """``count`` random float32 cells ``[count, size, size, 1]`` of 0-255 pixels and 0/1 labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (count, size, size, 1)).astype(np.float32)
    return images, rng.integers(0, 2, (count, len(CLASSES))).astype(np.float32)


def keras_model(name: str, size: int, precision: str, steps: int, resize: bool = True, **compile_options):
    """``create_model(name)`` compiled as the trainer compiles it, plus ``compile_options``; without
    ``resize``, the same model from the output of its resize layer on (input already at ``size``, as
    the trainer resizes the cells before training)."""
    import keras

    from pvdefects.models import create_model
    from pvdefects.precision import precision_policy
    from pvdefects.training.config import defaults_for
    from pvdefects.training.losses import MultiLabelLoss
    from pvdefects.training.optimizers import build_optimizer

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    with precision_policy(precision):
        model = create_model(name, len(CLASSES), size)
    if not resize:
        model = keras.Model(model.get_layer("standardize").input, model.output, name=name)
    optimizer = build_optimizer(defaults_for(name), steps)
    model.compile(optimizer=optimizer, loss=MultiLabelLoss(), **compile_options)
    return model


def keras_rates(
    name: str, size: int, precision: str, steps: int, repeats: int, **options
) -> tuple[Rate, Rate, int]:
    """Training and inference images/s of the Keras model (``options``: see :func:`keras_model`), and
    its trainable parameters."""
    import numpy as np
    import tensorflow as tf

    model = keras_model(name, size, precision, steps, **options)
    x, y = cells(size)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    train = fit_rate(model, data, steps, repeats)
    infer = timed(lambda: [model.predict_on_batch(x) for _ in range(steps)], steps * BATCH, repeats)
    params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return train, infer, params


def fit_rate(model, data, steps: int, repeats: int) -> Rate:
    """Training images/s of ``model.fit`` on ``data``: one call of ``(repeats + 1) * steps`` steps,
    timed at the end of every ``steps`` steps by a callback (the first ``steps``, with the tracing,
    are the warm-up). One ``fit`` call per repeat would add the start of an epoch to every repeat
    (up to a second here, measured)."""
    import keras

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

        def on_train_batch_end(self, batch, logs=None):  # once per execution of steps_per_execution steps
            self.times.append(time.perf_counter())

    clock = Clock()
    model.fit(
        data, epochs=1, steps_per_epoch=(repeats + 1) * steps, verbose=0, shuffle=False, callbacks=[clock]
    )
    calls = len(clock.times) // (repeats + 1)  # calls of the callback per repeat
    ends = clock.times[calls - 1 :: calls]
    seconds = [end - start for start, end in zip(ends, ends[1:])]
    images = steps * BATCH
    return Rate(images / statistics.median(seconds), images / max(seconds), images / min(seconds))


def torch_rates(name: str, size: int, precision: str, steps: int, repeats: int) -> tuple[Rate, Rate, int]:
    """Training and inference images/s of the PyTorch twin, and its trainable parameters."""
    import torch
    from torch_nets import create_torch_model

    from pvdefects.training.config import defaults_for

    torch.manual_seed(0)
    config = defaults_for(name)
    model = create_torch_model(name, len(CLASSES), size)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    images, labels = cells(size)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(labels)

    def autocast():
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16")

    def train() -> None:
        model.train()
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = loss_fn(model(x).float(), y)
            loss.backward()
            optimizer.step()

    def infer() -> None:
        model.eval()
        with torch.inference_mode(), autocast():
            for _ in range(steps):
                model(x)

    params = sum(p.numel() for p in model.parameters())
    return timed(train, steps * BATCH, repeats), timed(infer, steps * BATCH, repeats), params


def pipeline_rate(size: int, batches: int, repeats: int) -> Rate:
    """Images/s of pvdefects' training stream alone (resnet18's recommended sampling and
    augmentation) over 512 random uint8 cells of ``size`` (the trainer resizes the cells first)."""
    import numpy as np

    from pvdefects.data.pipeline import training_dataset
    from pvdefects.training.config import defaults_for
    from pvdefects.training.trainer import augmentation

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (512, size, size, 1), dtype=np.uint8)
    labels = rng.integers(0, 2, (512, len(CLASSES))).astype(np.float32)
    config = defaults_for("resnet18")
    stream = iter(
        training_dataset(
            images, labels, BATCH, seed=0, balance=config.balance, augmentation=augmentation(config)
        )
    )
    return timed(lambda: [next(stream) for _ in range(batches)], batches * BATCH, repeats)


def onnx_rate(zip_path: Path, batch, steps: int, repeats: int) -> Rate | str:
    """Images/s of ``zip_path`` converted by tf2onnx and run by ONNX Runtime, or why it could not be."""
    import logging

    import tensorflow as tf

    try:
        import onnxruntime
        import tf2onnx
    except ImportError:
        return f"not installed: {INSTALL_HINT}"
    from pvdefects.contract import INPUT, INPUT_SHAPE
    from pvdefects.security.archive import unpack_submission

    errors: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record.getMessage().splitlines()[0])

    logger = logging.getLogger("tf2onnx")
    logger.propagate, handler = False, Collect(logging.ERROR)
    logger.addHandler(handler)
    try:
        with tempfile.TemporaryDirectory(prefix="throughput-onnx-") as scratch:
            loaded = tf.saved_model.load(str(unpack_submission(zip_path, Path(scratch) / "model")))
            onnx_file = Path(scratch) / "model.onnx"
            tf2onnx.convert.from_function(
                loaded.serve,
                input_signature=[tf.TensorSpec(INPUT_SHAPE, tf.float32, name=INPUT)],
                output_path=str(onnx_file),
            )
            session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    except Exception as error:  # noqa: BLE001 - the benchmark reports any failure of the conversion
        if errors:
            return f"fails: tf2onnx logged {len(errors)} errors, the first: {errors[0]}"
        return f"fails: {failure(error)}"
    finally:
        logger.removeHandler(handler)
    return timed(lambda: [session.run(None, {INPUT: batch}) for _ in range(steps)], steps * BATCH, repeats)


def export_rates(name: str, size: int, precision: str, steps: int, repeats: int) -> list[dict]:
    """The exported ``model.zip`` of an untrained ``name`` on 300x300 cells: its size, and images/s
    through TensorFlow's SavedModel and through ONNX Runtime (or the errors)."""
    from pvdefects.export.savedmodel import export_classifier
    from pvdefects.inference.savedmodel import load_submission
    from pvdefects.models.saving import ModelMetadata

    row = {"model": name, "size": size, "precision": precision}
    model = keras_model(name, size, precision, steps)
    batch, _ = cells(CELL)
    with tempfile.TemporaryDirectory(prefix="throughput-export-") as scratch:
        zip_path = Path(scratch) / "model.zip"
        try:
            export_classifier(model, ModelMetadata(CLASSES, [0.5] * len(CLASSES), name, size), zip_path)
        except Exception as error:  # noqa: BLE001 - reported in the table, the run goes on
            return {
                **row,
                "tensorflow": f"export failed: {type(error).__name__}: {str(error).splitlines()[0]}",
            }
        served = load_submission(zip_path)
        row["zip_mb"] = zip_path.stat().st_size / 1e6
        row["tensorflow"] = timed(lambda: [served(batch) for _ in range(steps)], steps * BATCH, repeats)
        row["onnx"] = onnx_rate(zip_path, batch, steps, repeats) if precision == "float32" else "not tried"
    print("export:", row, flush=True)
    return [row]


def lever_rates(name: str, size: int, precision: str, steps: int, repeats: int) -> list[dict]:
    """Training and inference images/s of ``name`` with each compile option of issue 15's item 3, and
    without the in-model resize (XLA has no kernel for its antialiased resize); a variant that fails
    is reported with its error."""
    every = {"steps_per_execution": steps}
    variants = {
        "as the trainer compiles it (no XLA on CPU, 1 step per execution)": {},
        f"steps_per_execution={steps}": every,
        "jit_compile=True (XLA)": {"jit_compile": True},
        "without the in-model resize": {"resize": False},
        "without the in-model resize, jit_compile=True": {"resize": False, "jit_compile": True},
    }
    rows = []
    for label, options in variants.items():
        row = {"variant": label, "precision": precision}
        try:
            row["train"], row["infer"], _ = keras_rates(name, size, precision, steps, repeats, **options)
        except Exception as error:  # noqa: BLE001 - a lever that does not work is a finding too
            row["error"] = failure(error)
        rows.append({"model": name, "size": size, **row})
        print("lever:", rows[-1], flush=True)
    return rows


def failure(error: Exception) -> str:
    """One short line saying why ``error`` happened (TensorFlow's messages open with context lines and
    name the cause further down)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    cause = next((line for line in lines if "unsupported" in line.lower()), lines[-1] if lines else "")
    return f"{type(error).__name__}: {cause.split('{{node')[0].strip()[:200]}"


def cpu_description() -> str:
    """The CPU's model name and the flags that matter to these figures, from /proc/cpuinfo."""
    from pvdefects.precision import cpu_flags

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8")
    flags = cpu_flags()
    present = [flag for flag in wanted if flag in flags]
    absent = [flag for flag in wanted if flag not in flags]
    return (
        f"{name}, {os.cpu_count()} logical cores; flags {' '.join(present) or 'none'}"
        f"{'; without ' + ' '.join(absent) if absent else ''}"
    )


def ratio(ours: Rate | None, theirs: Rate | None) -> str:
    return f"{ours.median / theirs.median:.2f}" if ours and theirs else "-"


def versions(with_torch: bool) -> str:
    import keras
    import tensorflow as tf

    found = f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    if with_torch:
        import torch

        found += f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    return found


def throughput_section(rows: list[dict], pipeline: dict[int, Rate], levers: list[dict], context: str) -> str:
    """Markdown of the side-by-side table, the input pipeline and the levers."""
    lines = [
        "## Training and inference throughput against PyTorch (`benchmarks/throughput.py`)",
        "",
        context,
        "",
        "| model | input | precision | params (Keras / PyTorch) | train pvdefects | train PyTorch | ratio "
        "| inference pvdefects | inference PyTorch | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        torch_params = f"{row['torch_params']:,}" if "torch_params" in row else "-"
        torch_train, torch_infer = row.get("torch_train"), row.get("torch_infer")
        lines.append(
            f"| {row['model']} | {row['size']} | {row['precision']} | {row['params']:,} / {torch_params} | "
            f"**{row['train']}** | {torch_train or '-'} | {ratio(row['train'], torch_train)} | "
            f"**{row['infer']}** | {torch_infer or '-'} | {ratio(row['infer'], torch_infer)} |"
        )
    if pipeline:
        lines += [
            "",
            "Input pipeline alone (`training_dataset`: recommended sampling, flips, quarter turns, intensity "
            "jitter, batching), against the fastest pvdefects training rate at that size:",
            "",
            "| input | pipeline images/s | fastest training images/s | pipeline / training |",
            "| --- | --- | --- | --- |",
        ]
        for size, rate in pipeline.items():
            trained = [row["train"] for row in rows if row["size"] == size]
            if not trained:
                continue
            fastest = max(trained, key=lambda r: r.median)
            lines.append(f"| {size} | {rate} | {fastest} | {rate.median / fastest.median:.0f}x |")
    if levers:
        lines += [
            "",
            f"Levers of the Keras training step ({levers[0]['model']} at {levers[0]['size']} px; ratio to "
            "the trainer's compilation in the same precision):",
            "",
            "| variant | precision | train images/s | ratio | inference images/s | ratio |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in levers:
            base = next(r for r in levers if r["precision"] == row["precision"])
            if "error" in row:
                lines.append(f"| {row['variant']} | {row['precision']} | fails: {row['error']} | | | |")
                continue
            train, infer = row["train"], row["infer"]
            lines.append(
                f"| {row['variant']} | {row['precision']} | {train} | {ratio(train, base.get('train'))} "
                f"| {infer} | {ratio(infer, base.get('infer'))} |"
            )
    return "\n".join(lines)


def inference_section(exports: list[dict], context: str) -> str:
    """Markdown of the exported model.zip through TensorFlow and ONNX Runtime."""
    lines = [
        "## Inference throughput of the exported model.zip (`benchmarks/throughput.py`)",
        "",
        context,
        "",
        "| model | input | precision | model.zip | TensorFlow SavedModel images/s | ONNX Runtime images/s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in exports:
        size_mb = f"{row['zip_mb']:.1f} MB" if "zip_mb" in row else "-"
        tensorflow, onnx = row["tensorflow"], row.get("onnx", "-")
        tensorflow = f"**{tensorflow}**" if isinstance(tensorflow, Rate) else tensorflow
        lines.append(
            f"| {row['model']} | {row['size']} | {row['precision']} | {size_mb} | {tensorflow} | {onnx} |"
        )
    return "\n".join(lines)


def model_rows(
    name: str, sizes: list[int], precisions: list[str], with_torch: bool, steps: int, repeats: int
) -> list[dict]:
    """Every size and precision of ``name``: the Keras model, then its PyTorch twin."""
    rows = []
    for size in sizes:
        for precision in precisions:
            train, infer, params = keras_rates(name, size, precision, steps, repeats)
            row = {"model": name, "size": size, "precision": precision, "train": train, "infer": infer}
            row["params"] = params
            if with_torch:
                row["torch_train"], row["torch_infer"], row["torch_params"] = torch_rates(
                    name, size, precision, steps, repeats
                )
            print("measured:", row, flush=True)
            rows.append(row)
    return rows


def isolated(function: Callable, *args) -> list[dict]:
    """``function(*args)`` run in a fresh Python process: TensorFlow keeps memory after a model is
    gone (a single process measuring every net ran out of 23 GB), and a job that fails or is killed
    leaves the others."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    from pvdefects.models import list_models

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), choices=list_models())
    parser.add_argument("--sizes", nargs="+", type=int, default=[224, 300], help="network input sizes (px)")
    parser.add_argument(
        "--precisions", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"]
    )
    parser.add_argument("--steps", type=int, default=2, help="batches of 32 per timed repeat")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats after one warm-up (median)")
    parser.add_argument(
        "--levers", default="resnet18", help="model for XLA/steps_per_execution ('none': skip)"
    )
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even where it is installed")
    parser.add_argument("--no-export", action="store_true", help="skip the exported model.zip")
    parser.add_argument("--out", type=Path, default=None, help="write the sections to this file, not docs/")
    args = parser.parse_args(argv)

    with_torch = not args.no_torch and have_torch()
    if not args.no_torch and not with_torch:
        print(
            f"PyTorch is not installed: its columns stay empty. Install it with: {INSTALL_HINT}", flush=True
        )
    started = time.perf_counter()
    rows, levers, exports, failures = [], [], [], []
    jobs = [(rows, model_rows, name, args.sizes, args.precisions, with_torch) for name in args.models]
    if args.levers != "none":
        first = args.sizes[0]
        jobs += [(levers, lever_rates, args.levers, first, precision) for precision in args.precisions]
    if not args.no_export:
        jobs += [
            (exports, export_rates, name, args.sizes[0], precision)
            for name in args.models
            for precision in args.precisions
        ]
    for results, function, *job in jobs:
        try:
            results += isolated(function, *job, args.steps, args.repeats)
        except Exception as error:  # noqa: BLE001 - one failed job (out of memory, say) leaves the others
            failures.append(f"{function.__name__}{tuple(job)}: {failure(error)}")
            print("failed:", failures[-1], flush=True)
    pipeline = {size: pipeline_rate(size, 8 * args.steps, args.repeats) for size in args.sizes}
    print("pipeline:", pipeline, flush=True)

    command = "python benchmarks/throughput.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:]))
    minutes = (time.perf_counter() - started) / 60
    context = (
        f"Command: `{command.strip()}` ({minutes:.1f} min, load average {os.getloadavg()[0]:.1f} at the end) "
        f"on {cpu_description()}; {versions(with_torch)}. Images/s, batches of {BATCH}, untrained weights; "
        f"the median of {args.repeats} timed repeats of {args.steps} steps after one warm-up repeat (the "
        "script prints the slowest and fastest repeat too). Ratio = pvdefects / PyTorch (above 1: "
        "pvdefects is faster)."
    )
    write = (lambda name, text: write_section(name, text, args.out)) if args.out else write_section
    if failures:
        context += " Jobs that failed: " + "; ".join(failures) + "."
    write("throughput", throughput_section(rows, pipeline, levers, context))
    if exports:
        export_context = (
            f"{context.split(' Images/s')[0]} `pvdefects export` of an untrained model at input size "
            f"{args.sizes[0]}, fed {BATCH} random {CELL}x{CELL} cells per call (resized inside the model): "
            "the `serving_default` signature through TensorFlow, and (float32) the same SavedModel "
            "converted by tf2onnx and run by ONNX Runtime (CPU provider)."
        )
        write("inference", inference_section(exports, export_context))
    print(f"written to {args.out or 'docs/benchmarks.md'} in {minutes:.1f} min", flush=True)


if __name__ == "__main__":
    main()
