#!/usr/bin/env bash
# Installs what is missing, builds the wasm module, and serves the playground on
# localhost (port 5173, or $PORT) with Vite's dev server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

HOST=127.0.0.1
PORT="${PORT:-5173}"
case "$PORT" in
'' | *[!0-9]*)
    echo "[start] ERROR: PORT must be a number, got '$PORT'" >&2
    exit 2
    ;;
esac

bash scripts/setup.sh start

echo
echo "[start] Building the wasm module (npm run build:wasm)"
npm run build:wasm

echo
echo "[start] The playground will be at http://$HOST:$PORT/ (Ctrl-C stops the server)"
echo
# --strictPort: fail with a clear message if the port is taken, rather than quietly
# serving on another port than the one printed above.
exec npm run dev -- --host "$HOST" --port "$PORT" --strictPort
