"""Clean exits of the command line (issue 21, item 4): Ctrl-C and output failures, one line each.

Imported first by :mod:`detente.cli` (standard library only), so that it works however early
the event comes:

* **Ctrl-C** (SIGINT, ``KeyboardInterrupt``) anywhere — while the command line's own imports
  run, while a command imports numpy or pandas, while it computes — prints ``interrupted`` on
  stderr and exits 130 (128 + SIGINT, the shell's convention), never a traceback. A command that
  cleans up after itself (``simulate`` removes its partial output) still does, and says so in
  its own line. A process started with SIGINT ignored (a background job of a non-interactive
  shell) keeps it ignored: detente does not override that choice.
* **An output that cannot be written** — a full disk (``ENOSPC``, ``EDQUOT``), a pipe closed by
  the reader (``EPIPE``: ``detente forecast … | head -1``), ``/dev/full``, any ``OSError`` on
  writing — prints one line naming what could not be written and why
  (``error: <stdout>: cannot write: No space left on device (ENOSPC)``) and exits 2: the
  output location is part of the command's usage, as when ``--out`` cannot be created
  (DESIGN.md: 0 ok, 1 a check failed, 2 bad input or usage; 1 stays reserved for a failed
  check, so that ``cite``'s 1 never means "the disk is full"). Files are written to a temporary
  name beside the target and renamed into place (:func:`write_atomically`,
  :class:`detente.uncertainty.output.AtomicDir`), so a failure leaves no partial file and an
  earlier output intact.
"""

from __future__ import annotations

# Only modules the interpreter has loaded before any code runs: this module is imported first.
import errno
import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing takes time the guard does not have
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, NoReturn, TextIO

#: exit status after Ctrl-C (128 + SIGINT)
INTERRUPTED = 130
#: exit status when an output cannot be written (usage: the output location)
OUTPUT_FAILED = 2


def _line(text: str) -> None:
    """One line on stderr, whatever state the rest of the program is in."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # stderr itself is gone: nothing left to tell
        pass


_reported: list[bool] = []


def interrupted() -> NoReturn:
    """Report a Ctrl-C and exit 130."""
    if not _reported:
        _reported.append(True)
        _line("interrupted")
    raise SystemExit(INTERRUPTED) from None


def _redeliver_lost_ctrl_c(unraisable: Any) -> None:
    """``sys.unraisablehook``: a Ctrl-C that landed inside a weakref callback or ``__del__``
    (importlib's module-lock callbacks run during every import) would be printed as
    "Exception ignored" and lost, the command running on; it is sent again instead, and is
    raised where the program can stop. Anything else goes to the hook that was there.

    Sent from a short timer thread, a few milliseconds later: sent from here, Python would run
    its handler inside this hook, and the exception would be ignored again.
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        for _ in range(3):
            try:
                _send_sigint_soon()
                return
            except KeyboardInterrupt:  # the one sent came while still in here: send another
                continue
        return
    _previous_hook[0](unraisable)


def _send_sigint_soon() -> None:
    import signal
    import threading

    timer = threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT))
    timer.daemon = True
    timer.start()


_previous_hook: list[Callable[[Any], object]] = []


def keep_ctrl_c() -> None:
    """Install :func:`_redeliver_lost_ctrl_c` (once)."""
    if not _previous_hook:
        _previous_hook.append(sys.unraisablehook)
        sys.unraisablehook = _redeliver_lost_ctrl_c


def _after_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` was raised because of a ``KeyboardInterrupt`` (following the chain
    Python would print: an explicit cause, else the context unless suppressed)."""
    node: BaseException | None = exc
    while node is not None:
        if isinstance(node, KeyboardInterrupt):
            return True
        node = node.__cause__ or (None if node.__suppress_context__ else node.__context__)
    return False


def reason(exc: OSError) -> str:
    """``No space left on device (ENOSPC)``: the error's text and symbolic name."""
    text = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno) if isinstance(exc.errno, int) else None
    return f"{text} ({name})" if name and name not in text else text


class NamedStream:
    """A text stream whose write errors name it: ``OSError.filename`` is set to ``name``
    (``<stdout>``), so the one-line message says which output failed."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def _named(self, exc: OSError) -> OSError:
        if not exc.filename:
            exc.filename = self._name
        return exc

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise self._named(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._named(exc) from None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._stream, attr)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except Exception:  # not a real file (a test runner's stream): nothing is flushed at exit
        pass


#: errors that mean "this output cannot be written", whatever wrote it
_WRITE_ERRORS = {
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EPIPE", "EFBIG", "EROFS", "EIO")
    if hasattr(errno, name)
}


def output_failed(exc: OSError, what: str | Path | None = None) -> NoReturn:
    """Report an ``OSError`` in one line and exit 2.

    ``what`` names the output a writer could not write; without it the path comes from the
    error (``<stdout>`` for standard output, named by :class:`NamedStream`).
    """
    target = str(what) if what is not None else (exc.filename or "")
    on_stdout = target == "<stdout>"
    if on_stdout or exc.errno == errno.EPIPE:
        _silence_stdout()
    writing = what is not None or on_stdout or exc.errno in _WRITE_ERRORS
    where = f"{target}: " if target else ""
    _line(f"error: {where}{'cannot write: ' if writing else ''}{reason(exc)}")
    raise SystemExit(OUTPUT_FAILED)


def guarded(run: Callable[[], object]) -> NoReturn:
    """Run the command line; turn Ctrl-C and output failures into one line and an exit status.

    Flushes standard output before exiting, so that a failure to write it (``/dev/full``, a
    closed pipe) is reported here rather than as "Exception ignored" at interpreter exit.
    """
    keep_ctrl_c()
    if not isinstance(sys.stdout, NamedStream):
        sys.stdout = NamedStream(sys.stdout, "<stdout>")
    try:
        try:
            run()
            code: object = 0
        except SystemExit as exc:
            # Typer turns a Ctrl-C outside the commands (while it parses the arguments) into a
            # silent exit 130; a command that reports its own interruption exits "from None"
            if exc.code == INTERRUPTED and _after_ctrl_c(exc):
                interrupted()
            code = exc.code
        sys.stdout.flush()
    except KeyboardInterrupt:
        interrupted()
    except OSError as exc:
        output_failed(exc)
    raise SystemExit(code)


def write_atomically(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` through a temporary sibling renamed into place.

    On any failure (a full disk, Ctrl-C) the temporary file is removed and an earlier ``path``
    is left as it was; a reader never sees a half-written file.
    """
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data.encode(encoding) if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        import contextlib

        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
