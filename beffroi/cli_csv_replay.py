"""What the commands that replay a CSV (`beffroi detect`, `beffroi forecast`) share: the output is written to a
scratch file beside its destination first, so a bad row (the run stops with its line number, exit status 1) leaves
nothing written; then it replaces `--out` at once or goes to stdout."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO, TypeVar

import click

from beffroi.errors import ConfigError, RejectedInput

T = TypeVar("T")


def replay_csv(command: str, file: Path, out: Path | None, run: Callable[[TextIO, IO[str]], T]) -> T:
    """Run `run(source, sink)` over `file` into a scratch file, then publish it to `out` (or stdout); its result.
    A bad row (RejectedInput, ConfigError, or text that is not UTF-8) ends the command with status 1, naming the
    file and the reason, and writes nothing."""
    directory = out.resolve().parent if out is not None else None
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", suffix=".csv", dir=directory, delete=False
    ) as temporary:
        scratch = Path(temporary.name)
        try:
            with file.open(encoding="utf-8-sig", newline="") as source:
                result = run(source, temporary)
        except (ConfigError, RejectedInput, UnicodeDecodeError) as error:
            temporary.close()
            scratch.unlink(missing_ok=True)
            click.echo(f"beffroi {command}: {file}: {reason(error)}", err=True)
            sys.exit(1)
    try:
        if out is not None:
            os.replace(scratch, out)
        else:
            with scratch.open(encoding="utf-8", newline="") as produced:
                for line in produced:
                    sys.stdout.write(line)
            sys.stdout.flush()
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()
    return result


def reason(error: Exception) -> str:
    """What was wrong, as the command says it."""
    if isinstance(error, RejectedInput):
        return error.detail
    if isinstance(error, ConfigError):
        return f"{error.source}: " + "; ".join(error.problems)
    return f"not UTF-8 text ({error})"
