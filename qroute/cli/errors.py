"""The top-level handler: no traceback from any command.

Expected failures (bad input, an unusable argument, an unusable hardware profile, an
unwritable output, too large for memory) print one line and exit 2. Anything else prints
one line naming the error and a log file that holds the full traceback, and exits 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from qroute.model.errors import InputError, ProfileError, UsageError

EXIT_UNEXPECTED = 1
EXIT_EXPECTED = 2
EXIT_INTERRUPTED = 130
LOG_DIR = Path(".qroute") / "logs"
EXPECTED: tuple[type[BaseException], ...] = (InputError, UsageError, ProfileError)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:500] + "..."


def write_crash_log(exc: BaseException) -> Path:
    """The traceback in `.qroute/logs/` (or the temp folder when that is not writable)."""
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    for folder in (LOG_DIR, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(f"qroute {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
            return path.resolve()
        except OSError:
            continue
    return Path("(no writable log folder)")


def run_guarded(command: Callable[[], int]) -> int:
    """Run a command callable and turn every exception into an exit code and one line."""
    try:
        return command()
    except KeyboardInterrupt:
        print("qroute: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except EXPECTED as exc:
        print(f"qroute: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_EXPECTED
    except MemoryError:
        print("qroute: error: out of memory (try a smaller instance or --size)", file=sys.stderr)
        return EXIT_EXPECTED
    except OSError as exc:  # an output that cannot be written, a full disk
        where = f" {exc.filename}" if exc.filename else ""
        print(f"qroute: error: cannot write or read{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_EXPECTED
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place that catches everything
        log = write_crash_log(exc)
        print(
            f"qroute: internal error: {type(exc).__name__}: {_one_line(exc)} (traceback in {log})",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
