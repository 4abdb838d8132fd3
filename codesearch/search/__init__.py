"""Answering from one or many open indexes: searcher, similar definitions, multi-repository merge, files."""
