"""pvdefects: find cracks and inactive regions in electroluminescence images of solar cells.

Importing the package registers its Keras layers as soon as Keras is imported (now, or whenever it
is imported later), so that ``keras.saving.load_model("model.keras")`` reads a run's model after a
plain ``import pvdefects``. Keras itself is not imported here: commands that never touch a model,
and the web server, start without TensorFlow. Importing it before TensorFlow also turns on
TensorFlow's oneDNN kernels on x86-64 Linux (:func:`pvdefects.precision.enable_onednn`).
"""

from importlib.metadata import PackageNotFoundError, version

import wrapt

from pvdefects.precision import enable_onednn

try:
    __version__ = version("pvdefects")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

enable_onednn()

# "module:function" makes wrapt import our layers only once Keras itself is imported
wrapt.register_post_import_hook("pvdefects.models.preprocessing:keras_imported", "keras")
wrapt.register_post_import_hook("pvdefects.models.heads:keras_imported", "keras")
wrapt.register_post_import_hook("pvdefects.models.batch_norm:keras_imported", "keras")
