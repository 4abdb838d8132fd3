"""The repo-level benchmark through the public CLI: index each repository, ask every query, score.

For each packaged repository of the dev set (../shared/benchmarks/repo-level, see its README):
unpack it once, run ``codesearch index`` on its benchmark root, then ``codesearch ask --json
--queries-file`` with all its queries, and score the hits with the published protocol (file-level
NDCG@10 is the headline; chunk-level is the top 10 hits as returned). Prints a table per repo,
per category and overall, side by side with the published peers on the same repositories, plus
index seconds per repo and the query p50 (time between answers of the batch, model load excluded).

    python -m bench.repo_level                       # all packaged repositories
    python -m bench.repo_level --repos starlette tokio --out /tmp/run.jsonl
    python -m bench.repo_level --in-process --set file_coherence=false   # fast ablation, no re-index

``--in-process`` opens each index once in this process and runs the ranking with ``--set``
overrides of RankingParams (for ablations and tuning; the index must exist). ``--out`` writes one
JSON line per query (repo, category, scores, top files), so two runs can be compared query by query.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from statistics import median

from codesearch.evaluation.repo_level import (
    CATEGORIES,
    BenchmarkRepo,
    QueryScore,
    RepoQuery,
    RepoScore,
    ResultLocation,
    load_queries,
    load_repos,
    mean_over_repos,
    score_query,
    score_repo,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "benchmarks" / "repo-level"
PEERS = ("semble", "coderankembed-hybrid", "bm25-raw", "colgrep")


def unpack(data_dir: Path, repo: BenchmarkRepo, work: Path) -> Path:
    """The benchmark root of ``repo``, unpacked under ``work`` once."""
    dest = work / "src" / repo.name
    marker = dest / ".unpacked"
    if not marker.exists():
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(data_dir / "repos" / f"{repo.name}.tar.gz") as tar:
            tar.extractall(dest, filter="data")
        marker.touch()
    return dest / repo.benchmark_root if repo.benchmark_root else dest


def codesearch_command() -> list[str]:
    return [sys.executable, "-m", "codesearch"]


def index_repo(root: Path, full: bool, env: dict[str, str]) -> float:
    started = time.perf_counter()
    command = [*codesearch_command(), "index", str(root), *(["--full"] if full else [])]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def ask_cli(root: Path, queries: list[RepoQuery], k: int, env: dict[str, str],
            extra: list[str]) -> list[list[dict[str, object]]]:
    """Every query's hits through one ``ask --queries-file`` process."""
    queries_file = root.parent / f".{root.name}-queries.txt"
    queries_file.write_text("".join(q.text.replace("\n", " ") + "\n" for q in queries), encoding="utf-8")
    command = [*codesearch_command(), "ask", "--repo", str(root), "--json", "--queries-file",
               str(queries_file), "-k", str(k), *extra]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(answers) != len(queries):
        raise RuntimeError(f"ask failed on {root} (exit {done.returncode}, {len(answers)} answers)")
    return answers


def ask_in_process(root: Path, queries: list[RepoQuery], k: int,
                   overrides: dict[str, str]) -> tuple[list[list[dict[str, object]]], list[float]]:
    from codesearch.config import resolve_settings
    from codesearch.index.hybrid_search import SearchRequest
    from codesearch.index.ranking import RankingParams, with_overrides
    from codesearch.search.searcher import Searcher

    params = with_overrides(RankingParams(), overrides)
    answers, gaps = [], []
    with Searcher.open(root, resolve_settings(root)) as searcher:
        for query in queries:
            started = time.perf_counter()
            hits = searcher.search(SearchRequest(query.text, k), params)
            gaps.append(time.perf_counter() - started)
            answers.append([{"path": h.path, "start_line": h.start_line, "end_line": h.end_line} for h in hits])
    return answers, gaps


SIGNALS = ("definitions", "path_match", "path_priors", "header_declarations", "file_coherence", "diversity",
           "lexical_standout", "term_coverage", "definitions_first", "members_first", "exact_shallowest_first")


def grid_configs(base: dict[str, str], grid: list[str], ablation: bool) -> list[dict[str, str]]:
    """The overrides to compare: the product of ``NAME=V1,V2`` grids, or each signal off in turn."""
    if ablation:
        return [dict(base), *({**base, signal: "false"} for signal in SIGNALS),
                {**base, **{signal: "false" for signal in SIGNALS}}]
    configs = [dict(base)]
    for axis in grid:
        name, values = axis.split("=", 1)
        configs = [{**config, name: value} for config in configs for value in values.split(",")]
    return configs


def grid_search(args: argparse.Namespace, repos: list[BenchmarkRepo], configs: list[dict[str, str]]) -> None:
    """Every config over every repository, each index opened once; one line per config, best first."""
    from codesearch.config import resolve_settings
    from codesearch.index.hybrid_search import SearchRequest
    from codesearch.index.ranking import RankingParams, with_overrides
    from codesearch.search.searcher import Searcher

    params = [with_overrides(RankingParams(), config) for config in configs]
    scores: list[list[RepoScore]] = [[] for _ in configs]
    for repo in repos:
        root = unpack(args.data, repo, args.work)
        queries = load_queries(args.data, repo.name)
        with Searcher.open(root, resolve_settings(root)) as searcher:
            for i, config_params in enumerate(params):
                found = [score_query(repo.name, q, locations([
                    {"path": h.path, "start_line": h.start_line, "end_line": h.end_line}
                    for h in searcher.search(SearchRequest(q.text, args.k), config_params)])) for q in queries]
                scores[i].append(score_repo(repo.name, found))
    order = sorted(range(len(configs)), key=lambda i: -mean_over_repos(scores[i]))
    print(f"{'file':>6} {'chunk':>6} {'sem':>6} {'arch':>6} {'sym':>6}  overrides")
    for i in order:
        print(f"{mean_over_repos(scores[i]):6.3f} {_mean([s.chunk_ndcg for s in scores[i]]):6.3f} "
              + " ".join(f"{mean_over_repos(scores[i], c):6.3f}" for c in CATEGORIES)
              + "  " + " ".join(f"{k}={v}" for k, v in configs[i].items()))


def locations(hits: list[dict[str, object]]) -> list[ResultLocation]:
    return [ResultLocation(str(h["path"]), int(h["start_line"]), int(h["end_line"])) for h in hits]  # type: ignore[call-overload]


def run_repo(args: argparse.Namespace, data_dir: Path, repo: BenchmarkRepo,
             out: list[dict[str, object]]) -> tuple[RepoScore, float | None, float]:
    root = unpack(data_dir, repo, args.work)
    queries = load_queries(data_dir, repo.name)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    index_s = None
    if not args.in_process and (args.reindex or not (root / ".codesearch").exists() or not args.skip_index):
        index_s = index_repo(root, args.reindex, env)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    if args.in_process:
        answers, gaps = ask_in_process(root, queries, args.k, overrides)
    else:
        answers = ask_cli(root, queries, args.k, env, args.ask_arg)
        # `ask --queries-file` prints its answers together at the end; the search time per query
        # is measured in this process instead, over the same index (model load excluded).
        gaps = ask_in_process(root, queries, args.k, overrides)[1] if args.latency else []
    scores: list[QueryScore] = []
    for query, hits in zip(queries, answers, strict=True):
        score = score_query(repo.name, query, locations(hits))
        scores.append(score)
        top_files = list(dict.fromkeys(str(h["path"]) for h in hits))[:10]
        out.append({"repo": repo.name, "query": query.text, "category": query.category,
                    "file_ndcg": round(score.file_ndcg, 4), "chunk_ndcg": round(score.chunk_ndcg, 4),
                    "targets": [t.path for t in query.targets], "top_files": top_files})
    return score_repo(repo.name, scores), index_s, median(gaps) * 1000 if gaps else 0.0


def load_peers(data_dir: Path) -> dict[str, dict[str, float]]:
    peers = json.loads((data_dir / "peers.json").read_text(encoding="utf-8"))["peers"]
    return {p["id"]: {name: v["ndcg10"] for name, v in p.get("per_repo", {}).items() if "ndcg10" in v}
            for p in peers if p["id"] in PEERS}


def peer_category_means(data_dir: Path, names: list[str]) -> dict[str, dict[str, float]]:
    peers = json.loads((data_dir / "peers.json").read_text(encoding="utf-8"))["peers"]
    result: dict[str, dict[str, float]] = {}
    for peer in peers:
        if peer["id"] not in PEERS:
            continue
        per_repo = peer.get("per_repo", {})
        result[peer["id"]] = {}
        for category in CATEGORIES:
            values = [per_repo[n]["by_category"][category] for n in names
                      if n in per_repo and category in per_repo[n].get("by_category", {})]
            result[peer["id"]][category] = sum(values) / len(values) if values else float("nan")
    return result


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def print_table(rows: list[tuple[BenchmarkRepo, RepoScore, float | None, float]], data_dir: Path) -> None:
    peers = load_peers(data_dir)
    header = f"{'repo':20} {'lang':10} {'file':>6} {'chunk':>6} " + " ".join(f"{p[:12]:>12}" for p in PEERS)
    print(header + f" {'index_s':>8} {'p50_ms':>7}")
    for repo, score, index_s, p50 in rows:
        peer_cells = " ".join(f"{peers[p].get(repo.name, float('nan')):12.3f}" for p in PEERS)
        index_cell = f"{index_s:8.1f}" if index_s is not None else f"{'-':>8}"
        print(f"{repo.name:20} {repo.language:10} {score.file_ndcg:6.3f} {score.chunk_ndcg:6.3f} "
              f"{peer_cells} {index_cell} {p50:7.1f}")
    scores = [score for _, score, _, _ in rows]
    names = [repo.name for repo, _, _, _ in rows]
    peer_means = [_mean([peers[p][n] for n in names if n in peers[p]]) for p in PEERS]
    print(f"{'mean':31} {mean_over_repos(scores):6.3f} {_mean([s.chunk_ndcg for s in scores]):6.3f} "
          + " ".join(f"{value:12.3f}" for value in peer_means))
    category_peers = peer_category_means(data_dir, names)
    for category in CATEGORIES:
        print(f"  {category:29} {mean_over_repos(scores, category):6.3f} {'':6} "
              + " ".join(f"{category_peers[p][category]:12.3f}" for p in PEERS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "codesearch-bench" / "repo-level")
    parser.add_argument("--repos", nargs="*", help="names (default: every packaged repository)")
    parser.add_argument("--supported-only", action="store_true", help="only repositories in a parsed language")
    parser.add_argument("-k", "--k", type=int, default=50, help="hits asked per query (file level dedups them)")
    parser.add_argument("--reindex", action="store_true", help="index --full")
    parser.add_argument("--skip-index", action="store_true", help="reuse existing indexes")
    parser.add_argument("--in-process", action="store_true", help="search in this process (ablations)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="RankingParams override")
    parser.add_argument("--ask-arg", action="append", default=[], help="extra argument for `ask`")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                        help="compare the product of these RankingParams values in process (indexes must exist)")
    parser.add_argument("--ablation", action="store_true", help="compare each ranking signal off in turn")
    parser.add_argument("--out", type=Path, help="per-query JSON lines")
    parser.add_argument("--no-latency", dest="latency", action="store_false",
                        help="CLI mode: skip the in-process timing pass")
    args = parser.parse_args()
    repos = [r for r in load_repos(args.data) if r.is_available and (not args.repos or r.name in args.repos)]
    if args.supported_only:
        from codesearch.errors import UnsupportedLanguageError
        from codesearch.parsing.languages import get_language

        def parsed(language: str) -> bool:
            try:
                get_language(language)
            except UnsupportedLanguageError:
                return False
            return True

        repos = [r for r in repos if parsed(r.language)]
    if args.grid or args.ablation:
        grid_search(args, repos, grid_configs(dict(kv.split("=", 1) for kv in args.set), args.grid, args.ablation))
        return
    per_query: list[dict[str, object]] = []
    rows = []
    for repo in repos:
        score, index_s, p50 = run_repo(args, args.data, repo, per_query)
        rows.append((repo, score, index_s, p50))
        print(json.dumps({"repo": repo.name, "language": repo.language, "file_ndcg": round(score.file_ndcg, 4),
                          "chunk_ndcg": round(score.chunk_ndcg, 4), "by_category": dict(score.file_by_category),
                          "index_s": index_s and round(index_s, 2), "query_p50_ms": round(p50, 1)}),
              file=sys.stderr, flush=True)
    print_table(rows, args.data)
    if args.out:
        args.out.write_text("".join(json.dumps(row) + "\n" for row in per_query), encoding="utf-8")


if __name__ == "__main__":
    main()
