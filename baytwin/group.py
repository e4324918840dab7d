"""The command group every ``baytwin`` group is made of: the manners a user expects of each command.

* a flag is shown as a flag in ``--help`` (``--store``, not ``--store <bool>``);
* help text flows to the terminal's width: a docstring's line breaks inside a paragraph are not kept;
* Ctrl-C ends a command with one line and exit code 130, never a traceback;
* a module of a missing extra (OpenCV, Streamlit, Dask ...) is one line naming the extra, exit code 2.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.core import TyperGroup

from baytwin.extras import extra_for, message

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a job stopped by Ctrl-C


class CommandGroup(TyperGroup):
    """A Typer group with the manners above; its sub-groups are made with :func:`command_group`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _tidy(self)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:  # options added after the group was made (shell completion's) included
            if getattr(param, "is_flag", False):
                param.metavar = ""
        return params

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            from baytwin.common import err_console

            err_console.print("interrupted", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except ModuleNotFoundError as err:
            command = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            extra = extra_for(err.name, command)
            if extra is None:
                raise
            from baytwin.common import fail

            raise fail(message(command, extra)) from None


def _tidy(command: Any) -> None:
    """Help as a user reads it, for ``command`` and every command under it: a flag or a counter takes no
    value, so its row shows no type (Typer would show ``<bool>``) and a counter no default (``--help`` is a
    flag too: made here, as it is made once per command, then kept); a docstring's paragraphs flow."""
    help_option = command.get_help_option(typer.Context(command, **(command.context_settings or {})))
    for param in [*getattr(command, "params", []), *([help_option] if help_option is not None else [])]:
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        if getattr(param, "count", False):
            param.show_default = False
    if command.help:
        command.help = flowing(command.help)
    for sub in getattr(command, "commands", {}).values():
        _tidy(sub)


def flowing(text: str) -> str:
    """``text`` with each paragraph on one line: a docstring is wrapped for the source file, and its line breaks
    would otherwise cut the help's lines short wherever the source did."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def command_group(help: str) -> typer.Typer:  # noqa: A002 - Typer's own name for it
    """A group of commands (``baytwin sim``, ``baytwin live review`` ...) with the manners above."""
    return typer.Typer(cls=CommandGroup, no_args_is_help=True, help=help)
