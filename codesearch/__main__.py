"""``python -m codesearch``: the same as the ``codesearch`` command."""

from codesearch.entry import main

main()
