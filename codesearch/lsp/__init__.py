"""``codesearch lsp``: a language server over stdio for semantic ``workspace/symbol``.

stdio.py wires the pieces; session.py speaks LSP (lifecycle, cancellation, progress requests);
workspace.py owns the repository (the index update, the search); progress.py shows the update.
"""
