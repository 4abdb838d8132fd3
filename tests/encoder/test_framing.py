from __future__ import annotations

from typing import Any

import pytest

from codesearch.encoder.framing import count_framed_tokens, frame_texts, make_framing
from codesearch.encoder.source import base_model_folder
from codesearch.errors import ModelLoadError

CLS, SEP = 101, 102


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_model_folder()), local_files_only=True)


def test_bert_special_tokens_and_delimiters(tokenizer: Any) -> None:
    framing = make_framing(tokenizer, "{", "}", max_length=16)
    assert (framing.leading, framing.trailing) == ((CLS,), (SEP,))
    assert framing.prefix == tuple(tokenizer("{", add_special_tokens=False)["input_ids"])
    assert framing.body_budget == 16 - 4


def test_truncation_cuts_the_body_and_keeps_the_delimiters(tokenizer: Any) -> None:
    framing = make_framing(tokenizer, "{", "}", max_length=16)
    [row] = frame_texts(tokenizer, framing, ["word " * 100])
    assert len(row) == 16
    assert row[:2] == [CLS, *framing.prefix]
    assert row[-2:] == [*framing.suffix, SEP]


def test_end_index_is_the_suffix_token_or_the_final_token(tokenizer: Any) -> None:
    with_suffix = make_framing(tokenizer, "[", "]", max_length=32)
    [row] = frame_texts(tokenizer, with_suffix, ["read a json file"])
    assert row[with_suffix.end_index(len(row))] == with_suffix.suffix[-1]
    plain = make_framing(tokenizer, "", "", max_length=32)
    [row] = frame_texts(tokenizer, plain, ["read a json file"])
    assert row[plain.end_index(len(row))] == SEP


def test_count_reports_untruncated_lengths(tokenizer: Any) -> None:
    framing = make_framing(tokenizer, "{", "}", max_length=16)
    short, long = count_framed_tokens(tokenizer, framing, ["x", "word " * 100])
    assert short == 5
    assert long == 104


def test_max_length_without_room_for_text_is_refused(tokenizer: Any) -> None:
    with pytest.raises(ModelLoadError, match="leaves no room"):
        make_framing(tokenizer, "{", "}", max_length=4)


def test_empty_input_gives_no_rows(tokenizer: Any) -> None:
    framing = make_framing(tokenizer, "", "", max_length=16)
    assert frame_texts(tokenizer, framing, []) == []
    assert count_framed_tokens(tokenizer, framing, []) == []
