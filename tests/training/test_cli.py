"""``codesearch train`` and ``codesearch eval`` through click's CliRunner on a tiny BERT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from tests.training.conftest import python_function, write_repo


@pytest.fixture
def recipe(tmp_path: Path, tiny_bert: Path) -> Path:
    (tmp_path / "blocklist.txt").write_text("requests\n")
    for name, start in (("one", 0), ("two", 20)):
        write_repo(tmp_path / name, start, 10)
    text = f"""
base_model = "{tiny_bert}"
max_length = 48
blocklist = "blocklist.txt"
validation_fraction = 0.4
batch_size = 4
max_steps = 3
warmup_steps = 1
dtype = "float32"
threads = 1
eval_every = 3
checkpoint_every = 3

[[source]]
kind = "dir"
path = "one"

[[source]]
kind = "dir"
path = "two"
"""
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pairs_file(tmp_path: Path) -> Path:
    records = [
        {
            "repo": f"r{i % 2}",
            "path": "m.py",
            "func_name": f"task_{i}",
            "language": "python",
            "code": python_function(i),
        }
        for i in range(12)
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records) + "{broken\n", encoding="utf-8")
    return path


def test_train_writes_a_model_folder_that_eval_scores(recipe: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(cli, ["train", "--recipe", str(recipe), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "trained 3 steps" in result.output and (out / "codesearch-encoder.json").is_file()
    result = runner.invoke(cli, ["eval", "--model", str(out), "--pairs", str(pairs_file(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(row["language"], row["queries"]) for row in rows] == [("all", 12), ("python", 12)]
    assert {"mrr", "recall@1", "recall@5", "recall@10", "ndcg@10"} <= rows[0].keys()


def test_train_again_into_the_same_folder_is_an_error_message(recipe: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(cli, ["train", "--recipe", str(recipe), "--out", str(out)]).exit_code == 0
    result = runner.invoke(cli, ["train", "--recipe", str(recipe), "--out", str(out)])
    assert result.exit_code == 1 and "already holds a run" in result.output
    assert (
        runner.invoke(cli, ["train", "--recipe", str(recipe), "--out", str(out), "--resume"]).exit_code == 0
    )


def test_eval_scores_cosqa_from_a_folder_and_prints_a_table(tiny_bert: Path, tmp_path: Path) -> None:
    cosqa = tmp_path / "cosqa"
    cosqa.mkdir()
    codes = {python_function(i): i for i in range(5)}
    (cosqa / "code_idx_map.txt").write_text(json.dumps(codes))
    split = [
        {"idx": f"q{i}", "doc": f"task {i}", "code": code, "retrieval_idx": i} for i, code in enumerate(codes)
    ]
    (cosqa / "cosqa-retrieval-test-500.json").write_text(json.dumps(split))
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_bert), "--cosqa", str(cosqa)])
    assert result.exit_code == 0, result.output
    assert "cosqa-test" in result.output and "MRR" in result.output


def test_eval_needs_something_to_score(tiny_bert: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_bert)])
    assert result.exit_code == 1 and "--pairs FILE, --cosqa, or both" in result.output
