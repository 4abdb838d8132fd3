"""The ``codesearch`` console entry point: the warm ``ask --json`` path when it applies, else the CLI.

Kept apart from cli/commands.py so that starting the command imports neither click nor the CLI's modules
when a running server can answer (see cli/warm_ask.py).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``codesearch`` with ``sys.argv``."""
    from codesearch.cli.warm_ask import answer

    try:
        if answer(sys.argv[1:]):
            return
    except BrokenPipeError:
        sys.stderr.close()  # `codesearch ask --json ... | head`: the reader left; not an error
        sys.exit(0)
    from codesearch.cli.commands import main as cli_main

    cli_main()
