"""Cursors `"<epoch>:<seq>"`: the server run that numbered the changes, and the last change a client holds."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CURSOR_LENGTH = 100


class BadCursor(ValueError):
    """The text is not a cursor this server hands out."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in one tenant's change sequence of one server run (`epoch`)."""

    epoch: str
    seq: int

    def __str__(self) -> str:
        return f"{self.epoch}:{self.seq}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor written as `text`; BadCursor saying why otherwise."""
        if len(text) > MAX_CURSOR_LENGTH:
            raise BadCursor(f"a cursor has at most {MAX_CURSOR_LENGTH} characters")
        epoch, colon, seq_text = text.rpartition(":")
        if not colon or not epoch or not seq_text.isascii() or not seq_text.isdigit():
            raise BadCursor(f"{text!r} is not of the form '<epoch>:<seq>'")
        return cls(epoch, int(seq_text))
