"""Why a CAP message is refused: one error type with a machine-readable reason and every problem found."""

from __future__ import annotations

import msgspec

from beffroi.errors import RejectedInput


class CapProblem(msgspec.Struct, frozen=True):
    """One thing wrong with a CAP message; `line`/`column` point into the XML when it came from XML."""

    detail: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return where + self.detail


class CapRejected(RejectedInput):
    """A CAP message that is refused as a whole.

    `reason` is one of `cap_too_large`, `cap_malformed_xml`, `cap_dtd_forbidden`, `cap_not_cap` (wrong root element
    or namespace), `cap_schema_invalid` (against the OASIS XSD), `cap_invalid` (a CAP 1.2 rule the XSD does not
    check: an open polygon, a missing restriction…); `problems` lists each problem.
    """

    def __init__(self, reason: str, problems: list[CapProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(reason, shown + more)
