"""The command line's parser: one whose usage errors are one line.

:class:`Parser` raises :class:`UsageError` (one line on stderr, exit 2, like every
user error) instead of argparse's two-line message. Value types for options
(``count``, ``level``) live in :mod:`kernsim.cli_types`.
"""

from __future__ import annotations

import argparse

from kernsim.errors import KernsimError


class UsageError(KernsimError):
    """A command line that does not parse: unknown command, missing argument, bad value."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a :class:`UsageError` (one line, exit 2), not
    argparse's two-line message."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")
