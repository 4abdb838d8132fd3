"""Retrieval evaluation: metrics, benchmark loaders (CoSQA, mined docstring -> code), the harness.

Modules: records (Benchmark, reports), metrics (MRR, Recall@k, NDCG@10), benchmark (checks, pools),
cosqa, corpora (mining manifest and cache), blocklist (held-out names), mined (docstring -> code
benchmarks), runner (evaluate a ranker), render (JSON lines, text table).
"""
