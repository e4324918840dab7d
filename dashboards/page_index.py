"""The dashboard's pages as the router and the home page name them: one file each in ``pages/``."""

from __future__ import annotations

import ast
from pathlib import Path

PAGES = Path(__file__).parent / "pages"


def page_files() -> list[Path]:
    """The page files in the order of their numbers."""
    return sorted(PAGES.glob("*.py"))


def page_title(page: Path) -> str:
    """The name a page goes by in the sidebar: the file name without its number."""
    return page.stem.split("_", 1)[-1].replace("_", " ")


def page_summary(page: Path) -> str:
    """What the page answers: the first paragraph of its docstring without the page's name, whole
    (a docstring wrapped over several lines is one sentence, not its first line)."""
    doc = ast.get_docstring(ast.parse(page.read_text(encoding="utf-8"))) or ""
    paragraph = " ".join(line.strip() for line in doc.split("\n\n", 1)[0].splitlines())
    summary = paragraph.split(": ", 1)[-1].rstrip(".")
    return summary[:1].upper() + summary[1:]
