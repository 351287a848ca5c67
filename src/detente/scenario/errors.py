"""Located diagnostics: every problem in an input file as ``file:line: field.path: problem``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in an input file."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        field = f" {self.field}:" if self.field else ""
        return one_line(f"{where}:{field} {prefix}{self.message}")


def _escaped(c: str) -> str:
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


#: characters a message shows escaped: controls (C0, DEL, C1), everything
#: :meth:`str.splitlines` breaks at (U+2028, U+2029 …), bidi embeddings, overrides and isolates
_UNSAFE = {
    chr(c): _escaped(chr(c))
    for c in [
        *range(0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
    if chr(c) != "\t"
}
_UNSAFE_TABLE = str.maketrans(_UNSAFE)


def one_line(text: str) -> str:
    """``text`` as one printable line: a field or value from the file (a KTAB header, a
    name) that holds a line break, a control or a bidi override is shown escaped (``\\u2029``),
    so a message stays one line that starts with its location and reads in order."""
    return text.translate(_UNSAFE_TABLE)


class InputError(ValueError):
    """Bad input: one or more located diagnostics. The CLI prints them and exits with 2."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def single(
        cls, file: str, message: str, field: str = "", line: int | None = None
    ) -> InputError:
        return cls([Diagnostic(file=file, line=line, field=field, message=message)])
