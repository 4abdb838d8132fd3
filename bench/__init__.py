"""Benchmarks: one script per figure, run from the repository root as ``python -m bench.<name>``.

bench/README.md says what each measures and which table of docs/ it feeds. A package, so that
scripts share helpers by import (``bench.stdlib_index``, ``bench.repo_level``, ``bench.server_load``).
"""
