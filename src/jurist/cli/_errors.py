"""How the command reports failure: one red line on stderr and exit code 1; the traceback only with --debug."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.text import Text

from jurist.errors import JuristError

#: Exit code of a failed command (typer's own usage errors exit with 2).
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Options:
    """The global options, kept on the root context's ``obj`` for every command."""

    debug: bool = False


def stderr_console() -> Console:
    # soft_wrap: the error is one line however narrow the terminal, so that it can be grepped.
    return Console(stderr=True, soft_wrap=True, highlight=False)


def describe(exc: BaseException) -> str:
    """``exc`` as one line that says what went wrong, without a traceback."""
    if isinstance(exc, JuristError):
        text = str(exc)
    elif isinstance(exc, FileNotFoundError) and exc.filename is not None:
        text = f"no such file or directory: {exc.filename}"
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    elif isinstance(exc, (OSError, ValueError)):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"unexpected {type(exc).__name__}: {exc} (run 'jurist --debug ...' for the traceback)"
    return " ".join(text.split()) or type(exc).__name__


def fail(message: str) -> typer.Exit:
    """Print ``message`` as the one error line and return the Exit to raise."""
    stderr_console().print(Text(f"Error: {message}", style="bold red"))
    return typer.Exit(EXIT_FAILURE)


@contextmanager
def reported(ctx: typer.Context) -> Iterator[None]:
    """Run a command's body, turning any error into one red line and exit code 1.

    User errors (a :class:`JuristError`, a missing file, unreadable data) and bugs alike end as one
    line; ``jurist --debug`` prints the full traceback first.
    """
    options = ctx.find_root().obj
    debug = isinstance(options, Options) and options.debug
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        stderr_console().print(Text("Interrupted.", style="bold red"))
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as e:
        if debug:
            traceback.print_exc(file=sys.stderr)
        raise fail(describe(e)) from None
