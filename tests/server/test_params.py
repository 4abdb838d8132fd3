"""Reading params: a required param that is null is missing, not a None for the handler to trip on."""

from __future__ import annotations

import pytest

from codesearch.errors import ProtocolError
from codesearch.server.params import required
from codesearch.server.protocol import INVALID_PARAMS


@pytest.mark.parametrize("params", [{}, {"query": None}])
def test_a_missing_or_null_required_param_is_invalid_params(params: dict[str, object]) -> None:
    with pytest.raises(ProtocolError, match="missing param 'query'") as raised:
        required(params, "query", str)
    assert raised.value.code == INVALID_PARAMS


def test_a_required_param_of_the_wrong_type_is_invalid_params() -> None:
    with pytest.raises(ProtocolError, match="must be a str"):
        required({"query": 3}, "query", str)
    assert required({"query": "x"}, "query", str) == "x"
