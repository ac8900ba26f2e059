#!/usr/bin/env bash
# One command: install what a dub needs (scripts/setup.sh: nothing only the tests use), put the committed Japanese
# dialogue (two characters, made once with Kokoro by scripts/make-japanese-clip.sh) over a test pattern, and dub it
# into English on the embedded Temporal server: Whisper hears and translates the Japanese, piper speaks the English.
# Idempotent; fast the second time.
# `bash scripts/demo.sh --tgt es --mt apertium`… passes options on; the older English → Spanish demo clip is
# made by `node dist/scripts/speechClip.js demo/demo.mp4`.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
echo "[demo] set up in $(( $(date +%s) - started )) s"
mkdir -p demo
if [ ! -f demo/demo-ja.mp4 ]; then
  ffmpeg -nostdin -v error -y -i test/fixtures/ja/dialogue.opus -f lavfi -i testsrc2=size=640x360:rate=24 \
    -map 1:v -map 0:a -shortest -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -ar 48000 -b:a 128k demo/demo-ja.part.mp4
  mv demo/demo-ja.part.mp4 demo/demo-ja.mp4
fi
echo "demo clip: demo/demo-ja.mp4 (Japanese dialogue, Misaki and Kenta)"
node dist/client/cli.js run demo/demo-ja.mp4 --src ja --tgt en "$@"
echo "[demo] first dub in $(( $(date +%s) - started )) s from the start of setup"
echo
echo "The local Temporal server keeps running (UI above); stop it with: node dist/client/cli.js server stop"
