"""Contrastive training of the codesearch encoder (shares code with the runtime only through codesearch.encoder)."""
