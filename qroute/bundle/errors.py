"""The one exception the bundle package raises: one clear line and the exit code it means."""

from __future__ import annotations

EXIT_INVALID = 1  # readable, but a digest, signature, key or manifest rule failed
EXIT_UNREADABLE = 2  # missing, truncated, not a bundle, bad key file, bad usage


class BundleError(ValueError):
    """A bundle, key or trust file that cannot be used; `str(exc)` is one line."""

    def __init__(self, message: str, exit_code: int = EXIT_UNREADABLE) -> None:
        one_line = " ".join(message.split())  # always one line, and nothing a terminal
        self.message = "".join(c if c.isprintable() else "?" for c in one_line)  # would run
        self.exit_code = exit_code
        super().__init__(self.message)


def invalid(message: str) -> BundleError:
    """A readable bundle that fails verification (exit 1)."""
    return BundleError(message, EXIT_INVALID)


def unreadable(message: str) -> BundleError:
    """A file that is not a usable bundle, key or trust file (exit 2)."""
    return BundleError(message, EXIT_UNREADABLE)
