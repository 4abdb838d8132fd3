"""RankingParams overrides from NAME=VALUE strings (the benches' --set)."""

from __future__ import annotations

import pytest

from codesearch.index.ranking import RankingParams, with_overrides


def test_overrides_are_typed_by_the_field() -> None:
    params = with_overrides(RankingParams(), {"diversity": "0", "candidates_per_side": "50", "stem_bonus": "2.5"})
    assert params.diversity is False and params.candidates_per_side == 50 and params.stem_bonus == 2.5


@pytest.mark.parametrize("overrides", [{"no_such_knob": "1"}, {"diversity": "maybe"}, {"stem_bonus": "x"}])
def test_bad_overrides_are_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        with_overrides(RankingParams(), overrides)
