"""``python -m codesearch``: the same as the ``codesearch`` command."""

from codesearch.cli.entry import main

main()
