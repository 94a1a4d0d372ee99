"""Layer sequences and parameter counts against the tables of the task."""

import keras
import pytest

from pvdefects.errors import UserError
from pvdefects.models import create_model, list_models
from pvdefects.models.preprocessing import PerImageStandardization


def conv_params(k, c_in, c_out):  # no bias: batch norm follows
    return k * k * c_in * c_out


def bn_params(c):  # gamma, beta, moving mean, moving variance
    return 4 * c


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


PREPROCESSING_LAYERS = 4  # input, resize, gray levels, standardisation


def layer_summary(model):
    """(class name, filters/units, kernel, stride) for each layer after the preprocessing."""
    rows = []
    for layer in model.layers[PREPROCESSING_LAYERS:]:
        kind = (
            "BatchNormalization"
            if isinstance(layer, keras.layers.BatchNormalization)
            else type(layer).__name__
        )
        if kind == "Conv2D":
            rows.append((kind, layer.filters, layer.kernel_size[0], layer.strides[0]))
        elif kind == "MaxPooling2D":
            rows.append((kind, layer.pool_size[0], layer.strides[0]))
        elif kind == "Dense":
            rows.append((kind, layer.units, layer.activation.__name__))
        else:
            rows.append((kind,))
    return rows


def test_preprocessing_inside_every_model():
    for name in list_models():
        model = create_model(name, 2, input_size=96)
        assert [type(layer).__name__ for layer in model.layers[:PREPROCESSING_LAYERS]] == [
            "InputLayer",
            "Resizing",
            "StoredGrayLevels",
            "PerImageStandardization",
        ]
        assert isinstance(model.layers[PREPROCESSING_LAYERS - 1], PerImageStandardization)
        assert model.input_shape == (None, None, None, 1) and model.output_shape == (None, 2)


def test_alexnet_layers_and_parameters():
    model = create_model("alexnet", 2, input_size=224)
    block = lambda c, k, s: [("Conv2D", c, k, s), ("BatchNormalization",), ("ReLU",)]  # noqa: E731
    pool = [("MaxPooling2D", 3, 2)]
    expected = (
        block(96, 11, 4)
        + pool
        + block(192, 5, 1)
        + pool
        + block(384, 3, 1)
        + block(256, 3, 1)
        + block(256, 3, 1)
        + pool
        + [
            ("Flatten",),
            ("Dropout",),
            ("Dense", 4096, "relu"),
            ("Dropout",),
            ("Dense", 4096, "relu"),
            ("Dense", 2, "linear"),
        ]
    )
    assert layer_summary(model) == expected
    # 224 -> conv 11/4 (valid) 54 -> pool 26 -> pool 12 -> pool 5: 5 * 5 * 256 features
    convs = [(11, 1, 96), (5, 96, 192), (3, 192, 384), (3, 384, 256), (3, 256, 256)]
    params = sum(conv_params(k, i, o) + bn_params(o) for k, i, o in convs)
    params += dense_params(5 * 5 * 256, 4096) + dense_params(4096, 4096) + dense_params(4096, 2)
    assert model.count_params() == params


def resnet_params(blocks_per_stage, num_classes):
    params = conv_params(7, 1, 64) + bn_params(64)
    c_in = 64
    for stage, (c, blocks) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            params += conv_params(3, c_in, c) + bn_params(c) + conv_params(3, c, c) + bn_params(c)
            if stride != 1 or c_in != c:
                params += conv_params(1, c_in, c) + bn_params(c)
            c_in = c
    return params + dense_params(512, num_classes)


def test_resnet18_layers_and_parameters():
    model = create_model("resnet18", 2, input_size=224)
    rows = layer_summary(model)
    assert rows[:4] == [("Conv2D", 64, 7, 2), ("BatchNormalization",), ("ReLU",), ("MaxPooling2D", 3, 2)]
    convs = [row for row in rows if row[0] == "Conv2D"]
    assert convs == [
        ("Conv2D", 64, 7, 2),
        ("Conv2D", 64, 3, 1),
        ("Conv2D", 64, 3, 1),  # ResBlock(64, 1): no projection
        ("Conv2D", 128, 3, 2),
        ("Conv2D", 128, 3, 1),
        ("Conv2D", 128, 1, 2),  # then the 1x1 projection
        ("Conv2D", 256, 3, 2),
        ("Conv2D", 256, 3, 1),
        ("Conv2D", 256, 1, 2),
        ("Conv2D", 512, 3, 2),
        ("Conv2D", 512, 3, 1),
        ("Conv2D", 512, 1, 2),
    ]
    assert rows[-2:] == [("GlobalAveragePooling2D",), ("Dense", 2, "linear")]
    assert sum(row[0] == "Add" for row in rows) == 4
    assert model.count_params() == resnet_params((1, 1, 1, 1), 2) == 4_906_306


@pytest.mark.parametrize(
    ("name", "blocks"), [("resnet18_canonical", (2, 2, 2, 2)), ("resnet34", (3, 4, 6, 3))]
)
def test_deeper_resnets_follow_the_paper_table(name, blocks):
    model = create_model(name, 3, input_size=64)
    assert model.count_params() == resnet_params(blocks, 3)
    assert sum(type(layer).__name__ == "Add" for layer in model.layers) == sum(blocks)


def test_too_small_input_is_a_user_error():
    with pytest.raises(UserError, match="input_size 48 is too small for alexnet"):
        create_model("alexnet", 2, input_size=48)


def test_unknown_model_lists_the_choices():
    with pytest.raises(UserError, match="unknown model 'vgg99'; choose one of: alexnet"):
        create_model("vgg99", 2)
