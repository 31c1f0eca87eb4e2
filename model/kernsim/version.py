"""The installed kernsim's version (a module of its own, so every layer may read it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kernsim")
    """The version as installed; ``0.0.0+unknown`` from a source tree never installed."""
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
