"""Errors that the CLI turns into one-line messages and exit code 2."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad user input: names the file, the line (when known) and what is wrong."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ProfileError(ValueError):
    """An unusable hardware profile; ``str()`` is one line: ``file[:line]: field: problem``."""

    def __init__(
        self, path: str | Path, message: str, *, field: str | None = None, line: int | None = None
    ) -> None:
        self.path = str(path)
        self.field = field
        self.line = line
        self.message = " ".join(message.split())
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(
            f"{where}: {field}: {self.message}" if field else f"{where}: {self.message}"
        )


class UsageError(ValueError):
    """A command-line argument that cannot be used (unknown backend, bad size)."""


class TooLargeError(UsageError):
    """An instance or argument whose data would not fit the memory limit (refused before
    anything is allocated)."""
