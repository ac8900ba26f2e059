#!/usr/bin/env bash
# One command: install everything, generate a demo clip (festival speaking English over a test pattern),
# and dub it into Spanish on the embedded Temporal server. Idempotent; fast the second time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/scripts/speechClip.js demo/demo.mp4
node dist/client/cli.js run demo/demo.mp4 --src en --tgt es "$@"
echo
echo "The local Temporal server keeps running (UI above); stop it with: node dist/client/cli.js server stop"
