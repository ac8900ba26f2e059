#!/usr/bin/env bash
# Records the replay baseline (test/replay/*.history.json) from today's workflow code: one dubJob (expressive
# on) and one streaming run, dubbed by the CLI on a private dev server. Run it when a release cuts a new
# baseline; between releases, workflow changes keep the old histories replaying with patched().
#   scripts/record-replay-histories.sh ID   records one dubJob only, as test/replay/ID.history.json: the history a
#                                           change behind a new patched() marker adds (docs/ARCHITECTURE.md)
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d) out=$(mktemp -d)
export ANIME_DUB_STATE_DIR=$state/state ANIME_DUB_SERVER_PORT=17533 ANIME_DUB_UI_PORT=17534 TEMPORAL_ADDRESS= ANIME_DUB_OUTPUT_DIR=$out
trap 'node dist/client/cli.js server stop >/dev/null 2>&1 || true; rm -rf "$state" "$out"' EXIT
video=test/.cache/media/dialogue.mp4
[ -f "$video" ] || { echo "run the test suite once first (it makes $video)"; exit 1; }
if [ $# -gt 0 ]; then
  ids=("$1")
  node dist/client/cli.js run "$video" --asr pocketsphinx --tgt es --new --workflow-id "$1" --expressive auto
else
  ids=(replay-dubjob-1.0 replay-stream-1.0)
  node dist/client/cli.js run "$video" --asr pocketsphinx --tgt es --new --workflow-id replay-dubjob-1.0 --expressive auto
  node dist/client/cli.js run "$video" --asr pocketsphinx --tgt es --new --workflow-id replay-stream-1.0 --stream on --chunk-seconds 5
fi
node dist/client/cli.js server start >/dev/null
for id in "${ids[@]}"; do
  .tools/temporal/bin/temporal workflow show -w "$id" --address 127.0.0.1:17533 --output json > "test/replay/$id.history.json"
done
echo "recorded: $(ls test/replay)"
