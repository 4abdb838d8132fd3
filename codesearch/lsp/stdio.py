"""``codesearch lsp``: a LanguageServer (session.py) over stdin and stdout, on a Workspace (workspace.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from codesearch.config import Settings
from codesearch.lsp.session import LanguageServer
from codesearch.lsp.workspace import Workspace
from codesearch.parsing.ignore_rules import find_repo_root
from codesearch.server.params import optional


def serve_stdio(
    rfile: BinaryIO,
    wfile: BinaryIO,
    settings_for: Callable[[Path], Settings],
    *,
    default_root: Path,
    fixed_root: Path | None = None,
    socket_path: Path | None = None,
) -> int:
    """Serve one editor over ``rfile``/``wfile`` (stdin and stdout); the exit code for the process.

    ``settings_for(repo_root)`` resolves the Settings of the repository the editor opens.
    """

    def open_workspace(root: Path, options: Mapping[str, Any]) -> Workspace:
        create_index = optional(options, "createIndex", bool)
        return Workspace(root, settings_for(find_repo_root(root)), create_index=create_index, socket_path=socket_path)

    server = LanguageServer(open_workspace, default_root, fixed_root=fixed_root)
    return server.run(rfile, wfile)
