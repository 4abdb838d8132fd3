#!/usr/bin/env bash
# The README's VS Code screenshots: the packaged extension in a real VS Code (code-server), driven by
# headless Chromium; they are the screenshots tests/editors/test_vscode_e2e.py takes, written here.
#
#   docs/screenshots/take_vscode.sh REPO
#
# REPO must be indexed (`codesearch index REPO`); no server may be running in $XDG_RUNTIME_DIR (the
# extension starts one with `python3 -m codesearch serve`, or CODESEARCH_PYTHON's) and it is stopped
# at the end. Needs editors/vscode/e2e/install.sh to have run, and Debian's chromium.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repo=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root/editors/vscode" && npm ci --no-audit --no-fund >/dev/null \
    && "$root/editors/vscode/e2e/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository \
       --skip-license --out "$work/codesearch.vsix" >/dev/null)
CODESEARCH_TEST_REPO="$repo" CODESEARCH_TEST_VSIX="$work/codesearch.vsix" CODESEARCH_TEST_SCREENSHOTS="$here" \
CODESEARCH_TEST_SERVER_CMD="[\"${CODESEARCH_PYTHON:-python3}\", \"-m\", \"codesearch\", \"serve\"]" \
    node "$root/editors/vscode/e2e/run.mjs"
