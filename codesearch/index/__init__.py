"""The on-disk index: SQLite metadata, BM25, HNSW vectors, and search over them."""
