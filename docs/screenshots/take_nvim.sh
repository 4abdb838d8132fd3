#!/usr/bin/env bash
# The README's Neovim screenshots: codesearch.nvim in a detached tmux session (no display needed),
# captured with its colours (tmux capture-pane -e) and drawn to PNG by render_ansi.py.
#
#   docs/screenshots/take_nvim.sh REPO [PYTHON_WITH_PILLOW]
#
# REPO must be indexed (`codesearch index REPO`); no server may be running (the plugin starts one,
# with `python3 -m codesearch serve` unless CODESEARCH_PYTHON names another interpreter), and it
# is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repo=$(cd "$1" && pwd)
render_python=${2:-python3}
codesearch_python=${CODESEARCH_PYTHON:-python3}
session="codesearch-shot-$$"
work=$(mktemp -d)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/init.lua" <<EOF
vim.opt.runtimepath:prepend("$root/editors/nvim")
vim.cmd("runtime! plugin/codesearch.lua")
vim.cmd("filetype plugin on | syntax on")
vim.opt.number = true
vim.opt.laststatus = 2
require("codesearch").setup({ server_cmd = { "$codesearch_python", "-m", "codesearch", "serve" }, k = 10 })
EOF

wait_for() {  # wait_for TEXT: until the screen shows TEXT (the first search waits for the model)
  for _ in $(seq 1200); do
    tmux capture-pane -p -t "$session" | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $1" >&2
  tmux capture-pane -p -t "$session" >&2
  return 1
}

shoot() {  # shoot NAME: capture the screen with colours, draw it to $here/NAME.png
  tmux capture-pane -e -p -t "$session" >"$work/$1.ans"
  "$render_python" "$here/render_ansi.py" "$work/$1.ans" "$here/$1.png" --columns 100
}

tmux -f /dev/null new-session -d -s "$session" -x 100 -y 28 -c "$repo" \
  "env TERM=xterm-256color nvim -u $work/init.lua -i NONE server/cart.py"
wait_for "cart.py"

tmux send-keys -t "$session" ":CodeSearch hash a password with a random salt" Enter
wait_for "Type number"
shoot nvim-picker
tmux send-keys -t "$session" "1" Enter
wait_for "passwords.py"

tmux send-keys -t "$session" ":CodeSearch! retry an http request with exponential backoff" Enter
wait_for "Quickfix List"
shoot nvim-quickfix

tmux send-keys -t "$session" ":CodeSearchStop" Enter
wait_for "the server is stopping"
tmux send-keys -t "$session" ":qa!" Enter
