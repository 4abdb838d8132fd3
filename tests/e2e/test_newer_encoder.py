"""End to end: an index built by an earlier shipped encoder keeps working, and `status` says a newer one exists.

The earlier encoder is ``codesearch/minilm-code-v0``: the shipped default's files under another shipped name
(a lower version), in a stand-in for the package's models folder, so the index is real and built by
`codesearch index` itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.encoder import source
from codesearch.encoder.source import DEFAULT_MODEL_FOLDER, DEFAULT_MODEL_ID

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "repos" / "shop"
EARLIER = "codesearch/minilm-code-v0"


@pytest.fixture
def earlier_encoder_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODEL_FOLDER, models / "minilm-code-v0")
    monkeypatch.setattr(source, "SHIPPED_MODELS_DIR", models)  # the default's own folder stays where it is


def status(repo: Path) -> tuple[str, dict[str, object]]:
    human = CliRunner().invoke(cli, ["status", str(repo)])
    as_json = CliRunner().invoke(cli, ["status", str(repo), "--json"])
    assert human.exit_code == 0 and as_json.exit_code == 0, human.output + as_json.output
    report: dict[str, object] = json.loads(as_json.stdout)
    return human.stdout, report


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.usefixtures("earlier_encoder_shipped")
def test_an_earlier_encoders_index_keeps_working_until_index_full_moves_it(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    invoke("index", str(repo), "--model", EARLIER)

    human, report = status(repo)
    assert report["model_id"] == EARLIER and report["newer_default_model"] == DEFAULT_MODEL_ID
    assert f"newer model:  {DEFAULT_MODEL_ID} is the default now; `codesearch index --full`" in human

    # Search and a plain update go on with the encoder the index was built with.
    hits = json.loads(invoke("ask", "--repo", str(repo), "--json", "-k", "3", "hash a password with a random salt"))
    assert "hash_password" in [hit["name"] for hit in hits]
    (repo / "extra.py").write_text("def add_tax(price):\n    rate = 0.2\n    return price * (1 + rate)\n")
    invoke("index", str(repo))
    assert status(repo)[1]["model_id"] == EARLIER

    invoke("index", str(repo), "--full")
    human, report = status(repo)
    assert report["model_id"] == DEFAULT_MODEL_ID and report["newer_default_model"] is None
    assert "newer model" not in human
