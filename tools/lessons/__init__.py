"""One module per lesson notebook; each defines ``NAME``, ``EXERCISE`` and ``CELLS``."""

from textwrap import dedent


def md(text: str) -> tuple[str, str]:
    """A markdown cell from an indented triple-quoted string."""
    return ("markdown", dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    """A code cell from an indented triple-quoted string."""
    return ("code", dedent(text).strip("\n"))
