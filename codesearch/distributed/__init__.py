"""Embedding on a Ray cluster (``codesearch index --ray``), the optional ``ray`` extra.

Planning, extraction and every commit stay on the machine that runs ``codesearch index``; only
the texts the embeddings cache lacks travel to a pool of Ray actors, each holding one loaded
encoder (cluster.py connects, encoder_worker.py is what runs on the workers, ray_embedder.py is
the pool, many_repositories.py indexes several repositories through it). ``ray`` is imported
only in here, and only when asked for.
"""
