"""Identifier tokenisation, FTS5 query safety, BM25 column weights, and filters before the top-k cut."""

from __future__ import annotations

import doctest
import fnmatch
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesearch.index import identifiers, lexical
from codesearch.index.filters import ChunkFilter, register_functions
from codesearch.index.migrations import migrate
from codesearch.index.records import LexicalWeights
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS, batch_of, file_update, make_chunk


def test_docstring_examples_hold() -> None:
    for module, examples in ((lexical, 3), (identifiers, 2)):
        result = doctest.testmod(module)
        assert result.attempted >= examples
        assert result.failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parseJSONConfig", ["parse", "json", "config", "parsejsonconfig"]),
        ("read_file_v2", ["read", "file", "v", "2", "v2", "read_file_v2"]),
        ("__init__", ["init", "__init__"]),
        ("HTTP2Server", ["http", "2", "server", "http2server"]),
        ("getX", ["get", "x", "getx"]),
        ("ABC", ["abc"]),
        ("x", ["x"]),
        ("naïveÉtat", ["naïve", "état", "naïveétat"]),
        ("  ", []),
        ("a.b(c)", ["a", "b", "c"]),
    ],
)
def test_tokenize_identifiers(text: str, expected: list[str]) -> None:
    assert lexical.tokenize_identifiers(text) == expected


@pytest.fixture(scope="module")
def fts(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path_factory.mktemp("fts") / "fts.sqlite3", isolation_level=None)
    migrate(conn)
    register_functions(conn)
    lexical.insert_documents(
        conn, [(1, lexical.document("parse_config", "Loader.parse_config", "a.py", "x", "doc"))]
    )
    return conn


HOSTILE = [
    '"',
    '""',
    "'",
    "AND",
    "OR NOT",
    "NEAR(a b, 3)",
    "a AND OR b",
    "*",
    "^start",
    "col:value",
    "name : x",
    "(((",
    ")",
    "\x00\x01\x1f",
    "-x",
    "+y",
    "a\u200bb",
    "🦀 rust",
    "\ufeff",
    "x" * 10_000,
    "parse " * 2_000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(fts: sqlite3.Connection, query: str) -> None:
    lexical.search(fts, query, 10, ChunkFilter(), LexicalWeights())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "*",
                    "^",
                    "(",
                    ")",
                    ":",
                    "-",
                    "+",
                    "{",
                    "}",
                    " ",
                    "\x00",
                    "\x1f",
                    "AND",
                    "OR",
                    "NOT",
                    "NEAR",
                    "NEAR(",
                    "x",
                    "é",
                    "_",
                ]
            )
        ).map("".join),
        st.text(min_size=5_000, max_size=10_000),
    )
)
def test_any_query_string_is_valid_fts5(fts: sqlite3.Connection, query: str) -> None:
    results = lexical.search(fts, query, 5, ChunkFilter(path_glob="*"), LexicalWeights())
    assert all(hit.chunk_id == 1 for hit in results)


def test_query_terms_are_capped_and_deduplicated() -> None:
    match = lexical.build_match_query(" ".join(f"word{i}" for i in range(500)) + " parse parse")
    assert match is not None
    assert match.count(" OR ") == lexical.MAX_QUERY_TERMS - 1
    assert lexical.build_match_query("  ...  ") is None


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    store = IndexStore.open(tmp_path / "index", expected=PARAMS, create=True)
    store.apply_batch(
        batch_of(
            [
                file_update(
                    "src/config.py", [make_chunk("src/config.py", "load", docstring="parse the settings")]
                ),
                file_update("src/parse.py", [make_chunk("src/parse.py", "helper", body="return 2")]),
                file_update("lib/parser.py", [make_chunk("lib/parser.py", "parse", body="return 3")]),
                file_update(
                    "web/app.ts",
                    [make_chunk("web/app.ts", "parseQuery", body="return 4", language="typescript")],
                ),
                file_update("misc/x.py", [make_chunk("misc/x.py", "other", body="parse = parse(parse)")]),
            ]
        )
    )
    return store


def names(store: IndexStore, hits: list) -> list[str]:  # type: ignore[type-arg]
    return [stored.chunk.name for stored in store.get_chunks([hit.chunk_id for hit in hits])]


def test_name_outranks_identifiers_docstring_and_path(store: IndexStore) -> None:
    with store:
        ranked = names(store, store.lexical_search("parse", 10))
    assert ranked[0] == "parse"  # the name itself
    assert ranked.index("parseQuery") < ranked.index("other")  # name part beats identifiers in the body
    assert ranked.index("other") < ranked.index("load")  # identifiers beat docstring
    assert ranked.index("load") < ranked.index("helper")  # docstring beats path


def test_weights_are_parameters(store: IndexStore) -> None:
    path_first = LexicalWeights(name=0.1, qualified_name=0.1, path=100.0, identifiers=0.1, docstring=0.1)
    with store:
        ranked = names(store, store.lexical_search("parse", 10, weights=path_first))
    assert ranked[0] == "helper"  # the one file whose path holds the term "parse"


def test_filters_apply_before_the_top_k_cut(store: IndexStore) -> None:
    with store:
        # Unfiltered, the TypeScript chunk is not in the top 1; filtered, it must still come back.
        assert names(store, store.lexical_search("parse", 1)) != ["parseQuery"]
        assert names(store, store.lexical_search("parse", 1, languages=["typescript"])) == ["parseQuery"]
        assert names(store, store.lexical_search("parse", 1, path_glob="misc/*")) == ["other"]
        assert store.lexical_search("parse", 5, languages=[]) == []
        assert store.lexical_search("parse", 5, languages=["python"], path_glob="web/*") == []


@pytest.mark.parametrize(
    "pattern", ["src/*", "*.py", "src/*.py", "*/parse*.py", "[ls]*/*", "[!s]*", "?eb/*", "src/["]
)
def test_path_glob_has_fnmatch_semantics(store: IndexStore, pattern: str) -> None:
    every_chunk = "load helper parser parseQuery other"  # one selective term per chunk
    with store:
        hits = store.lexical_search(every_chunk, 10, path_glob=pattern)
        found = {stored.chunk.path for stored in store.get_chunks([hit.chunk_id for hit in hits])}
        all_paths = set(store.all_file_states())
    assert found == {path for path in all_paths if fnmatch.fnmatchcase(path, pattern)}


def test_terms_in_most_chunks_are_skipped_unless_all_are(store: IndexStore) -> None:
    with store:
        # "return" is in four of the five chunks: BM25 gives it no weight, so only "helper" decides.
        assert names(store, store.lexical_search("return helper", 10)) == ["helper"]
        assert len(store.lexical_search("return", 10)) == 4  # alone, it is still searched
        assert store.lexical_search("nosuchterm", 10) == []


def test_stopwords_are_left_out_of_descriptive_queries() -> None:
    assert lexical.query_terms("wait for a subprocess and read its output") == [
        "wait", "subprocess", "read", "output"
    ]
    assert lexical.query_terms("the is a") == ["the", "is", "a"]  # nothing else: searched as typed


@pytest.mark.parametrize("query", ["shutil.which", "is_file", "OrderedDict.move_to_end", "IsA"])
def test_stopwords_stay_in_queries_that_name_code(query: str) -> None:
    assert lexical.query_terms(query) == list(dict.fromkeys(lexical.tokenize_identifiers(query)))


def test_stopwords_do_not_change_which_chunks_match(store: IndexStore) -> None:
    with store:
        assert store.lexical_search("parse the settings", 10) == store.lexical_search("parse settings", 10)


def test_search_works_without_the_vocabulary_table(store: IndexStore) -> None:
    # Indexes created before chunks_fts_vocab joined migration 1 lack it; search must not need it.
    with store:
        before = store.lexical_search("return helper", 10)
        with store._database() as conn:
            conn.execute("DROP TABLE chunks_fts_vocab")
        assert store.lexical_search("return helper", 10) == before
        assert names(store, before) == ["helper"]


def test_rows_with_all_terms_need_every_term_somewhere_in_the_document(store: IndexStore) -> None:
    with store:
        every = [hit.chunk_id for hit in store.lexical_search("load helper parser parseQuery other parse", 10)]
        by_name = {stored.chunk.name: stored.chunk_id for stored in store.get_chunks(every)}
        # "load" holds "parse" and "settings" in its docstring and "config" in its path.
        assert store.chunks_with_all_terms(["parse", "settings", "config"], every) == {by_name["load"]}
        assert store.chunks_with_all_terms(["parse", "nosuchterm"], every) == set()
        assert store.chunks_with_all_terms(["parse"], [by_name["other"]]) == {by_name["other"]}
        assert store.chunks_with_all_terms([], every) == set()


def test_a_record_without_a_name_has_no_qualified_name_terms() -> None:
    named = lexical.document("parse_config", "Loader.parse_config", "a.py", "x", "")
    anonymous = lexical.document("", "config.py:1-40", "pkg/config.py", "TIMEOUT_S = 30", "")
    assert named[1] == "loader parse config parse_config"
    assert anonymous == ("", "", "pkg config py", "timeout s timeout_s 30", "")
