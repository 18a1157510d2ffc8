#!/usr/bin/env bash
# The protocol crate stays pure: no I/O crates anywhere in its dependency tree (DESIGN.md).
set -euo pipefail
bad=$(cargo tree -p mimi -e normal --prefix none 2>/dev/null \
  | grep -E '^(tokio|reqwest|rusqlite|axum|hyper|keyring|tauri|libsqlite3-sys) ' | sort -u || true)
if [ -n "$bad" ]; then
  echo "crates/mimi depends on I/O crates:"; echo "$bad"; exit 1
fi
echo "crates/mimi is free of I/O crates"
