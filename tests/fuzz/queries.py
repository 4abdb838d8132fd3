"""Fuzz target ``queries``: any query text, with any k, languages, path glob and mode, through ``Searcher.search``.

What ``ask``, the server, the LSP and MCP all call: ``validate_query`` then the hybrid search over a real
index (SQLite, FTS5, the HNSW graph; the hashing stand-in embeds the query). Every input gets hits (at
most k, all from the repository) or a ``QueryError``.
"""

from __future__ import annotations

import random

from codesearch.errors import QueryError
from codesearch.index.hybrid_search import SearchRequest, validate_query
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, random_text, register

WORDS = ("total", "price", "hash", "password", "Cart", "cart.py", "apply_discount", "remove item", "README",
         "Prices", "verify_password", "sha256", "salt", "NOT", "OR", "NEAR", "*", '"', "AND")
LANGUAGES = ("python", "markdown", "go", "", "no such", "\x1b")
GLOBS = ("*", "*.py", "cart*", "[", "[!a]*", "**/x", "", "\\", "README.*")
FILES = frozenset({"cart.py", "passwords.py", "README.md"})


def query_text(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return random_text(rng, 60)
    if shape == 1:
        words = [rng.choice(WORDS) if rng.random() < 0.7 else random_text(rng, 4) for _ in range(rng.randint(0, 8))]
        return " ".join(words)
    if shape == 2:  # around the length limit, and far beyond it (1 MB): refused before any work is done
        return (random_text(rng, 1) or "x") * rng.choice((1999, 2000, 2001, 4000, 1_000_000))
    return rng.choice(WORDS)


def request(world: World, rng: random.Random) -> SearchRequest:
    languages = None if rng.random() < 0.6 else tuple(
        rng.choice(LANGUAGES) if rng.random() < 0.8 else random_text(rng, 8) for _ in range(rng.randint(0, 3)))
    glob = None if rng.random() < 0.6 else rng.choice(GLOBS) if rng.random() < 0.5 else random_text(rng, 40)
    return SearchRequest(query_text(rng), rng.choice((1, 2, 5, 10, 100, 1000)), languages, glob,
                         rng.choice(("hybrid", "hybrid", "lexical", "dense")))


def check_query(world: World, given: SearchRequest) -> str:
    try:
        validate_query(given.query)
        hits = world.searcher.search(given)
    except QueryError:
        return REFUSED
    if len(hits) > given.k or not {hit.path for hit in hits} <= FILES:
        raise Failure(f"{len(hits)} hits from {sorted({hit.path for hit in hits})}")
    return ANSWERED


register(Target("queries", request, check_query, inputs=3000, timeout_s=10.0))
