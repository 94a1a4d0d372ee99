"""Grad-CAM: where on the cell a class's logit came from (Selvaraju et al., "Grad-CAM: Visual
Explanations from Deep Networks via Gradient-based Localization", ICCV 2017).

For class c and a convolutional feature map A (``[h, w, K]``), each channel k is weighted by the
spatial mean of the gradient of the class's logit y_c with respect to it, alpha_k = mean_ij
dy_c / dA_ij^k, and the map is ReLU(sum_k alpha_k A^k): the regions whose features raise the logit.
Our networks output logits (one sigmoid per class), so y_c is the logit itself, as the paper uses the
score before the softmax.

Grad-CAM++ (Chattopadhay et al., "Grad-CAM++: Improved Visual Explanations for Deep Convolutional
Networks", WACV 2018, eq. 19) weights each position instead, alpha_ij^k = g^2 / (2 g^2 + sum_ab A_ab^k
g^3) with g = dy_c / dA_ij^k, and channel k by sum_ij alpha_ij^k ReLU(g): several instances of a
class (two cracks) each get their share rather than the strongest one alone.

The model runs in inference mode: batch norm then uses its moving statistics, so each cell's map is
independent of the others in its batch and nothing in the model changes.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from pvdefects.errors import UserError

CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
LOCAL_POOLINGS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
METHODS = ("gradcam", "gradcam++")


def _is_feature_map(layer: keras.layers.Layer) -> bool:
    """True where ``layer`` outputs one ``[batch, height, width, channels]`` tensor."""
    try:
        return len(layer.output.shape) == 4
    except (AttributeError, ValueError):  # a layer never called, called twice, or with several outputs
        return False


def target_layer_name(model: keras.Model) -> str:
    """The name of the layer whose output is the last convolutional stage's feature map.

    From the model's last convolution on, the layers that keep a ``[batch, h, w, channels]`` map
    (batch norm, activation, the residual add) belong to that stage; the stage ends at the first
    pooling, flattening or dense layer. Names from our architectures: ``head_relu``
    (efficientnet_lite0 and 1), ``stage4_block1_out`` (resnet18; ``stage4_block2_out`` resnet18_canonical,
    ``stage4_block3_out`` resnet34), ``conv4_relu`` (simple_cnn), ``conv5_relu`` (alexnet).

    Raises :class:`UserError` when the model has no convolutional layer.
    """
    layers = model.layers
    convolutions = [i for i, layer in enumerate(layers) if isinstance(layer, CONVOLUTIONS)]
    if not convolutions:
        raise UserError(f"model {model.name!r} has no convolutional layer: Grad-CAM needs one")
    chosen = layers[convolutions[-1]]
    for layer in layers[convolutions[-1] + 1 :]:
        if isinstance(layer, LOCAL_POOLINGS) or not _is_feature_map(layer):
            break
        chosen = layer
    return chosen.name


def gradcam_model(model: keras.Model, layer: str | None = None) -> keras.Model:
    """A model from the same inputs to ``(feature map of layer, logits)``; ``layer`` defaults to
    :func:`target_layer_name`. Raises :class:`UserError` for an unknown layer name or a layer that
    does not output a feature map."""
    name = layer or target_layer_name(model)
    try:
        chosen = model.get_layer(name)
    except ValueError:
        raise UserError(f"model {model.name!r} has no layer {name!r}") from None
    if not _is_feature_map(chosen):
        raise UserError(
            f"layer {name!r} does not output a feature map [batch, height, width, channels]: "
            "Grad-CAM needs one"
        )
    return keras.Model(model.inputs, [chosen.output, model.outputs[0]])


def gradcam(
    model: keras.Model,
    images: np.ndarray,
    class_index: int,
    layer: str | None = None,
    batch_size: int = 32,
    method: str = "gradcam",
) -> np.ndarray:
    """Grad-CAM heatmaps of class ``class_index`` for ``images`` (``method`` "gradcam++" for
    Grad-CAM++'s weights, see the module docstring).

    ``images``: raw pixels as the model takes them, ``[N, H, W, 1]`` or ``[N, H, W]``, 0-255 (the
    model resizes and normalises them itself). ``layer``: the name of the layer to explain, by
    default the last convolutional stage (:func:`target_layer_name`). Returns float32 ``[N, H, W]``
    in [0, 1]: each map upsampled bilinearly from the feature map's resolution to the image's and
    divided by its own maximum (all zeros where no region raises the logit). Batches of
    ``batch_size`` images.

    Raises :class:`UserError` for a class index out of range, an unknown layer, a layer without a
    feature map, a model without a convolutional layer, or an unknown method.
    """
    return logits_and_gradcams(model, images, [class_index], layer, batch_size, method)[1][:, 0]


def logits_and_gradcams(
    model: keras.Model,
    images: np.ndarray,
    class_indices: list[int],
    layer: str | None = None,
    batch_size: int = 32,
    method: str = "gradcam",
) -> tuple[np.ndarray, np.ndarray]:
    """The model's logits (float32 ``[N, C]``) and the heatmaps of each class in ``class_indices``
    (float32 ``[N, len(class_indices), H, W]``, as :func:`gradcam` returns them), from one forward
    pass per batch: callers that want scores and several classes' maps need not run the model again.
    Raises :class:`UserError` as :func:`gradcam` does."""
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or images.shape[-1] != 1:
        raise UserError(f"images must have shape [N, height, width, 1]; got {list(images.shape)}")
    classes = model.outputs[0].shape[-1]
    for class_index in class_indices:
        if not 0 <= class_index < classes:
            raise UserError(f"class index {class_index} out of range: the model has {classes} classes")
    explained = gradcam_model(model, layer)
    height, width = images.shape[1:3]
    batches = [
        _batch_gradcams(explained, images[start : start + batch_size], class_indices, (height, width), method)
        for start in range(0, len(images), batch_size)
    ]
    if not batches:
        return np.zeros((0, classes), np.float32), np.zeros(
            (0, len(class_indices), height, width), np.float32
        )
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def _batch_gradcams(
    explained: keras.Model, batch: np.ndarray, class_indices: list[int], size, method
) -> tuple[np.ndarray, np.ndarray]:
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape(persistent=True) as tape:  # one forward pass, one gradient per class
        features, logits = explained(x, training=False)
        targets = [logits[:, class_index] for class_index in class_indices]
    # in inference mode the cells of a batch are independent: d(sum of logits)/dA is each cell's own
    maps = [_map(features, tape.gradient(target, features), size, method) for target in targets]
    del tape
    return np.asarray(logits, np.float32), np.stack(maps, axis=1)


def _map(features: tf.Tensor, gradients: tf.Tensor, size, method: str) -> np.ndarray:
    if method == "gradcam++":
        squared = tf.square(gradients)
        total = tf.reduce_sum(features, axis=(1, 2), keepdims=True)
        alphas = tf.math.divide_no_nan(squared, 2 * squared + total * squared * gradients)
        weights = tf.reduce_sum(alphas * tf.nn.relu(gradients), axis=(1, 2), keepdims=True)
    else:
        weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # alpha_k, [B, 1, 1, K]
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1, keepdims=True))  # [B, h, w, 1]
    cam = tf.image.resize(cam, size, method="bilinear")[..., 0].numpy()
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0).astype(np.float32)
