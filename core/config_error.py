"""The one error a broken data file gives, kept apart from the loaders so that it costs nothing to import.

Every command catches ``ConfigError``; the command line must list its commands without importing
pydantic or PyYAML, so the error and ``printable`` live here and ``core/config.py`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def printable(text: str) -> str:
    """``text`` with every control or format character (newlines, ESC, NUL, bidi overrides) written as an escape.

    Messages and ids reach a terminal; a file name or key holding ``\x1b[2J`` must show as those characters,
    not clear the screen, and a newline must not turn one error line into two."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class ConfigError(ValueError):
    """A data file could not be loaded; ``str(err)`` is the one-line message of its first problem.

    A file with several problems carries the others in ``more``, so that a user can fix them all in one
    go; ``lines()`` gives every problem, one line each."""

    def __init__(self, source: str | Path, field: str, problem: str, *, more: Sequence[ConfigError] = ()) -> None:
        self.source = printable(str(source))
        self.field = printable(field)
        self.problem = printable(problem)
        self.more = tuple(more)
        where = f"{self.source}: {self.field}: " if field else f"{self.source}: "
        super().__init__(where + self.problem)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled whole: an error raised in a worker process (a sweep, a portfolio site) reaches the parent
        as the same one-line error, not as a broken process pool."""
        return (_rebuilt, (self.source, self.field, self.problem, self.more))

    def lines(self) -> list[str]:
        """Every problem of the file, one line each, the first first."""
        return [str(self), *(str(other) for other in self.more)]

    def noted(self, note: str, source: str | Path | None = None, field: str | None = None) -> ConfigError:
        """The same problems with `` (note)`` after each (and, if given, another source or field for the first):
        how a caller says where a file was used without dropping any of its problems."""
        return ConfigError(self.source if source is None else source, self.field if field is None else field,
                           f"{self.problem} ({note})",
                           more=[ConfigError(o.source, o.field, f"{o.problem} ({note})") for o in self.more])


def _rebuilt(source: str, field: str, problem: str, more: tuple[ConfigError, ...]) -> ConfigError:
    return ConfigError(source, field, problem, more=more)
