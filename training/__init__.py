"""Contrastive training of the codesearch encoder.

Shares code with the runtime only through ``codesearch.encoder`` on the model side; ``codesearch``
never imports this package.
"""
