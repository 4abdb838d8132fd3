"""Small real repositories for the fuzz suite: the shop's files, indexed by keywords only or with the hashing
stand-in encoder, and one outside them all whose code holds ``MARKER``."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from tests.fakes import HashingEncoder, hashing_params
from tests.fuzz.harness import MARKER
from tests.server.helpers import CART, PASSWORDS

README = "# Shop\n\n## Prices\n\nHow a cart adds up its items.\n"
SECRET = f'''\
def read_private_key():
    """Read the deploy key {MARKER} and hash a password with it: the total price of a cart."""
    return "{MARKER}"
'''
SETTINGS = Settings(embedding_cache=False)


class _NoModel(Exception):
    """Raised where the encoder would be loaded: the index stops after its keyword stage."""


def _no_model() -> HashingEncoder:
    raise _NoModel


def write_repo(root: Path) -> Path:
    """The shop's files in a git repository at ``root``; its real path."""
    (root / ".git").mkdir(parents=True)
    (root / "cart.py").write_text(CART)
    (root / "passwords.py").write_text(PASSWORDS)
    (root / "README.md").write_text(README)
    return root.resolve()


def index_by_keywords(repo: Path) -> None:
    """As after an `index` interrupted once every file was committed: files, records and BM25, no vector
    yet. `ask` answers it by keywords and loads no model, so thousands of command lines stay fast."""
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        with pytest.raises(_NoModel):
            update_repository(store, repo, SETTINGS, _no_model)
        assert store.counts().chunks > 0 and store.semantic_coverage().embedded == 0


def index_with_hashing(repo: Path) -> None:
    """A whole index: records, BM25, vectors and the HNSW graph, embedded by the hashing stand-in."""
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        update_repository(store, repo, SETTINGS, HashingEncoder)


def write_outside(root: Path) -> Path:
    """An indexed git repository whose one file holds MARKER in its name's docstring and its code; its words
    are those of the shop's queries, so that any search that reached it would rank it."""
    (root / ".git").mkdir(parents=True)
    (root / "secret.py").write_text(SECRET)
    index_with_hashing(root.resolve())
    return root.resolve()
