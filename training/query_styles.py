"""Cheap rewrites of a docstring summary into queries that look like what people type.

Docstring summaries ("Returns the number of items in the list.") are the training queries, but
people search with questions and fragments ("how to count items in a list", "list length in
python", "count items list"). Three rewrites, chosen per pair with a seeded draw:

- ``how_to``: "how to <verb phrase>", the summary's leading verb in the base form
  ("Returns" -> "get", "Parses" -> "parse");
- ``in_language``: "<noun phrase> in <language>", the summary without its leading verb and article;
- ``keywords``: the verb (base form) and the content words only, lower case, at most six.

A summary the rules cannot use (too short, no content words) stays as it is. ``styled_query`` mixes
the rewrites in at ``rate``; rate 0 keeps every summary.

>>> rewrite("Returns the number of items in the list.", "python", "how_to")
'how to get the number of items in the list'
>>> rewrite("Parses a date string into a datetime.", "java", "in_language")
'date string into a datetime in java'
>>> rewrite("Sorts the users of a group by their last name.", "go", "keywords")
'sort users group last name'
"""

from __future__ import annotations

import random
import re

STYLES = ("how_to", "in_language", "keywords")


def _words(text: str) -> list[str]:
    return text.split()


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'+#-]*")
_ARTICLES = frozenset({"a", "an", "the", "this", "that", "these", "those", "given", "all"})
# Words a noun phrase does not start with ("Checks whether the key exists" -> "key exists").
_PHRASE_OPENERS = _ARTICLES | frozenset({"whether", "if"})
_STOPWORDS = _ARTICLES | frozenset(
    _words(
        """
        of in on for to from by with and or if is are be it its as at into onto this which when whether not
        no any each every some one two per via using use used returns return value values true false null
        none specified provided new current their his her our your my
        """
    )
)
_VERB_BASE = {"returns": "get", "return": "get", "gets": "get", "does": "do", "has": "have", "is": "check if"}
# Verbs that open summaries of code ("Parse ...", "Parses ..."); a word is read as a verb only when its
# base form is here, so "Helper ..." or "Options ..." are not.
_VERBS = frozenset(
    _words(
        """
        add allocate append apply assert attach bind build cache calculate call cancel change check clean
        clear clone close collect combine compare compile compress compute configure connect construct
        convert copy count create decode decompress decrement decrypt define delete deserialize destroy
        detect determine disable dispatch display divide do download draw drop dump emit enable encode
        encrypt ensure enumerate escape evaluate execute expand export extract fetch fill filter find
        finish fix flatten flush format free generate get group handle hash hide ignore import include
        increment index initialize inject insert inspect install invoke iterate join keep launch list
        listen load lock log look lookup make map mark match measure merge modify mount move multiply
        normalize notify observe open override pack pad parse pause perform pick poll pop populate post
        prepare print process produce provide publish push put query quote raise rank read receive record
        redirect reduce refresh register release reload remove rename render repeat replace report request
        reset resize resolve restore resume retrieve reverse rotate round run save scale scan schedule
        search seek select send serialize set setup shift show shuffle skip slice sort spawn split start
        stop store strip submit subscribe subtract sum swap sync take test throw toggle tokenize trace
        track transform translate traverse trigger trim truncate try unlock unpack unregister unwrap update
        upload validate verify visit wait walk watch wrap write yield
        """
    )
)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])[.;:?!](\s|$)")
_LANGUAGE_NAMES = {
    "csharp": "c#", "cpp": "c++", "javascript": "javascript", "typescript": "typescript", "tsx": "typescript",
    "ocaml_interface": "ocaml",
}
_MAX_PHRASE_WORDS = 10


def base_verb(word: str) -> str | None:
    """The base form of a summary's leading verb ("Returns" -> "get", "Copies" -> "copy"), or None
    when ``word`` does not look like a third-person or imperative verb."""
    lower = word.lower()
    if lower in _VERB_BASE:
        return _VERB_BASE[lower]
    candidates = [lower]
    if lower.endswith("ies"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s"):
        candidates.append(lower[:-1])
    return next((form for form in candidates if form in _VERBS), None)


def rewrite(summary: str, language: str, style: str) -> str:
    """``summary`` in ``style`` (one of STYLES); the summary itself when the rule has nothing to use."""
    words = _first_sentence(summary).split()
    if len(words) >= 3 and _is_identifier(words[0]) and _leading_verb(words[1:]) is not None:
        words = words[1:]  # Go and Rust doc style: "ParseDate parses ..." names the function first
    if len(words) < 2:
        return summary
    verb = _leading_verb(words)
    rest = words[1:] if verb is not None else [_lower_initial(words[0]), *words[1:]]
    if style == "how_to":
        phrase = " ".join(rest[:_MAX_PHRASE_WORDS])
        return f"how to {verb or 'get'} {phrase}".rstrip()
    if style == "in_language":
        while rest and rest[0].lower() in _PHRASE_OPENERS:
            rest = rest[1:]
        if not rest:
            return summary
        return f"{' '.join(rest[:_MAX_PHRASE_WORDS])} in {_LANGUAGE_NAMES.get(language, language)}"
    if style == "keywords":
        content = [w.lower() for w in _WORD.findall(" ".join(rest)) if w.lower() not in _STOPWORDS and len(w) > 1]
        kept = ([verb] if verb is not None and verb != "get" else []) + content
        return " ".join(kept[:6]) if len(kept) >= 2 else summary
    raise ValueError(f"unknown query style {style!r}; expected one of {', '.join(STYLES)}")


def styled_query(summary: str, language: str, rate: float, rng: random.Random) -> str:
    """With probability ``rate``, ``summary`` rewritten in a style drawn uniformly; else unchanged."""
    style = drawn_style(rate, rng)
    return summary if style is None else rewrite(summary, language, style)


def drawn_style(rate: float, rng: random.Random) -> str | None:
    """The draw ``styled_query`` makes for one query: a style with probability ``rate``, else None (a
    token pack holds every rewrite already, and needs only this draw)."""
    if rate <= 0.0 or rng.random() >= rate:
        return None
    return rng.choice(STYLES)


def _leading_verb(words: list[str]) -> str | None:
    """The base form of the first word when it is a verb: a listed one, or an unlisted third-person
    form followed by an article ("Aligns a body" -> "align"; "Options for" is no verb)."""
    verb = base_verb(words[0])
    if verb is not None or len(words) < 2 or words[1].lower() not in _ARTICLES:
        return verb
    lower = words[0].lower()
    if not lower.isalpha() or not lower.endswith("s") or lower.endswith("ss"):
        return None
    return lower[:-3] + "y" if lower.endswith("ies") else lower[:-1]


def _is_identifier(word: str) -> bool:
    """A code name rather than an English word: inner capitals or underscores ("ParseDate", "new_from")."""
    return "_" in word or any(char.isupper() for char in word[1:])


def _first_sentence(summary: str) -> str:
    match = _SENTENCE_END.search(summary)
    text = summary[: match.start() + 1] if match else summary
    return text.strip().rstrip(".;:?!").strip()


def _lower_initial(word: str) -> str:
    """A sentence-initial capital lowered ("The" -> "the"), identifiers kept ("HTTPClient", "URLs")."""
    return word[0].lower() + word[1:] if word[:1].isupper() and word[1:2].islower() else word
