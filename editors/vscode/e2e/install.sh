#!/usr/bin/env bash
# Install what the extension's test in a real VS Code needs (package-lock.json pins it): code-server,
# playwright-core, vsce. Run by .ci/run; needs Debian's nodejs, ripgrep, and the headers code-server's
# native modules build against (see .ci/run).
#
# Offline machines: code-server's VS Code downloads ripgrep from GitHub at install time
# (@vscode/ripgrep's postinstall); it first looks in its download cache, so Debian's rg (the same
# ripgrep 13.0.0) is put there. Playwright must not download a browser: the test drives Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")"
RG_PACKAGE_VERSION=1.15.11  # @vscode/ripgrep in code-server 4.100.3's lib/vscode/npm-shrinkwrap.json
if command -v rg >/dev/null; then
    cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
    archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
    if [ "$(uname -m)" = x86_64 ] && [ ! -f "$archive" ]; then
        staging=$(mktemp -d)
        cp "$(command -v rg)" "$staging/rg"
        mkdir -p "$cache"
        tar -czf "$archive" -C "$staging" rg
        rm -rf "$staging"
    fi
fi
# node-pty's install script runs `npx node-gyp` (npm_config_yes lets npx fetch it from the registry);
# code-server's needs unsafe-perm as root. "install" only writes package-lock.json the first time.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_unsafe_perm=true npm_config_yes=true \
    npm "${1:-ci}" --no-audit --no-fund "${@:2}"
