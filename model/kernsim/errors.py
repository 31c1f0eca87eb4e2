"""The one exception users see: a message that names what is wrong."""


class KernsimError(Exception):
    """A user-facing error: printed as one line, exit status 2, no traceback."""


class ConfigError(KernsimError):
    """A bad experiment file, key or value."""
