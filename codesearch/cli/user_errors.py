"""How errors reach the user on the command line: one line on stderr, exit code 1.

Every error written for the user ends here: a ``CodesearchError`` from the library, a
``click.ClickException`` raised by a command, and click's own usage errors (a flag that does not
exist, ``-k abc``, a ``--queries-file`` that is missing, a folder that cannot be read). Click would
print those after a usage block and exit 2; scripts told "1 is a bad input" then saw 2, and the
message came four lines down. Here each is ``Error: <message>`` on one line, click's text kept, a
"(see 'codesearch ask -h')" hint on the same line, escaped like any text that may quote a path or a query
(cli/safe_text.py). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from click.exceptions import NoArgsIsHelpError

from codesearch.cli.safe_text import terminal_safe
from codesearch.errors import CodesearchError


class UserError(click.ClickException):
    """An error for the user: ``Error: <message>``, one line of stderr, exit code 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {terminal_safe(self.format_message())}", file=file, err=file is None)


class _HelpForNoArguments(NoArgsIsHelpError):
    """``codesearch`` with nothing after it: the list of commands, and exit code 1 like any usage error."""

    exit_code = 1


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn any error written for the user, raised in the block, into a ``UserError``."""
    try:
        yield
    except UserError:
        raise
    except NoArgsIsHelpError as exc:
        raise _HelpForNoArguments(exc.ctx) from None
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
        raise UserError(exc.format_message().removesuffix(".") + hint) from exc
    except click.ClickException as exc:
        raise UserError(exc.format_message()) from exc
    except CodesearchError as exc:
        raise UserError(str(exc)) from exc
