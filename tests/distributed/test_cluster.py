"""`index --ray` refuses, in one line and before writing anything, what cannot work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.distributed.cluster import RayConnection, import_ray
from codesearch.errors import ClusterError
from tests.distributed.conftest import copy_fixture_repo

pytestmark = pytest.mark.ray


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def index_on_ray(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["index", str(repo), *args])
    return result.exit_code, result.output


def test_a_missing_ray_extra_is_one_line_naming_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets without the extra
    with pytest.raises(ClusterError, match=r'pip install "codesearch\[ray\]"'):
        import_ray()
    repo = copy_fixture_repo("shop", tmp_path)
    code, output = index_on_ray(repo, "--ray")
    assert code == 1
    assert output.strip().splitlines() == ['Error: --ray needs the ray extra, which is not installed: '
                                           'pip install "codesearch[ray]"']
    assert not (repo / ".codesearch").exists()


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_unreachable_cluster_is_one_line_and_writes_nothing(tmp_path: Path, scheme: str) -> None:
    pytest.importorskip("ray", reason='the ray extra is not installed (pip install -e ".[ray]")')
    repo = copy_fixture_repo("shop", tmp_path)
    address = f"{scheme}127.0.0.1:{closed_port()}"
    code, output = index_on_ray(repo, "--ray", address)
    assert code == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot reach the Ray cluster at {address}: ")
    assert not (repo / ".codesearch").exists()


def test_auto_without_a_running_cluster_is_one_line_in_a_fresh_process(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason='the ray extra is not installed (pip install -e ".[ray]")')
    repo = copy_fixture_repo("shop", tmp_path)
    source_tree = str(Path(__file__).resolve().parents[2])
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    env["PYTHONPATH"] = os.pathsep.join([source_tree, env.get("PYTHONPATH", "")])
    env["RAY_TMPDIR"] = str(tmp_path / "ray")  # no cluster a developer started is found there
    done = subprocess.run([sys.executable, "-m", "codesearch", "index", str(repo), "--ray", "auto"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: cannot connect to the Ray cluster at auto: Could not find any running Ray instance. "
        "Please specify the one to connect to by setting `--address` flag or `RAY_ADDRESS` environment variable."
    ]
    assert not (repo / ".codesearch").exists()


def test_a_malformed_address_is_refused_before_ray_starts() -> None:
    pytest.importorskip("ray", reason='the ray extra is not installed (pip install -e ".[ray]")')
    with pytest.raises(ClusterError, match="bad Ray address"):
        RayConnection.connect("ray://no-port")


def test_a_repository_after_a_bare_ray_flag_is_not_taken_for_an_address(tmp_path: Path) -> None:
    code, output = index_on_ray(tmp_path, "--ray", str(tmp_path))
    assert code == 1 and "put repositories before --ray" in output
