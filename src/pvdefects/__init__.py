"""pvdefects: find cracks and inactive regions in electroluminescence images of solar cells."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pvdefects")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
