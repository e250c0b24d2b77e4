"""The one exception the bundle package raises: one clear line and the exit code it means."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

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


def read_capped(path: str | Path, max_bytes: int, kind: str) -> bytes:
    """The bytes of a file of at most `max_bytes`; any problem as one line (exit 2)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise unreadable(f"{path}: {size} bytes, too large for a {kind} (limit {max_bytes})")
        return path.read_bytes()
    except FileNotFoundError:
        raise unreadable(f"{path}: no such {kind}") from None
    except IsADirectoryError:
        raise unreadable(f"{path}: is a folder, not a {kind}") from None
    except OSError as exc:
        raise unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None


def first_error(exc: ValidationError) -> str:
    """A pydantic error as one line: `field.path: message` of its first error."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "top level"
    return f"{where}: {error['msg']}"
