#!/usr/bin/env bash
# Runs `ticker display` in tmux against an embedded server and checks the screen as a person would see it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is not installed: skipping the display check" >&2; exit 0; }
npx tsc -p . >/dev/null || true   # errors elsewhere in the tree do not stop tsc from emitting
exec node dist/scripts/display-tmux-check.js
