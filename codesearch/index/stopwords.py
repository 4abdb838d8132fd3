"""The English function words that keyword (BM25) queries leave out.

Why: a natural-language query ("wait for a subprocess and read its output") ORs every term, and
FTS5 scores every row that holds any of them. "a", "for" and "and" are each in 15-25% of the
functions of the Python standard library (comments, strings, and keywords like ``for``/``and``),
so they made most of a query's cost (~1 µs per matching row) while adding only noise to the
ranking: the code keyword ``for`` says nothing about a query's "for". The dense side still sees
the whole query.

The list is deliberately short (articles, pronouns, auxiliary and modal verbs, prepositions and
conjunctions) rather than a general IR list such as scikit-learn's, which also drops words that
name things in code: first, last, next, all, any, empty, fill, find, get, move, show, call, top...
For the same reason it keeps: after, before, between, over, under, up, down, off, out, once,
now, then (``Promise.then``), has (``has_key``), new, same, other, only, each.
"""

from __future__ import annotations

# One line each: articles and determiners; pronouns; auxiliary and modal verbs; prepositions;
# conjunctions, question adverbs and negation.
_FUNCTION_WORDS = """
    a an the this that these those some such
    i me my we us our you your he him his she her it its itself they them their what which who whom whose
    am is are was were be been being do does did doing can could should would shall will may might must
    about against along among around as at by during for from in into of on onto per since through to
    toward towards until upon via with within without
    and or but nor so if than whether while because although though when where why how not no very just
    also too
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())


def is_stopword(term: str) -> bool:
    """True for a lower-cased term that keyword queries leave out.

    >>> is_stopword("the"), is_stopword("for"), is_stopword("then"), is_stopword("file")
    (True, True, False, False)
    """
    return term in STOPWORDS
