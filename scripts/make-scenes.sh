#!/usr/bin/env bash
# Makes the Japanese test scenes test/fixtures/scenes/{classroom,festival}.* : four characters each
# (Kokoro voices + blends), replies 0.3-0.6 s apart, a whispered and shouted lines, a stereo music bed
# with a title chime, and sound effects (scripts/make_scenes.py says how). Writes per scene:
#   NAME.opus           the scene (stereo: music/effects wide, dialogue centred)
#   NAME.dialogue.opus  the dialogue alone (mono)
#   NAME.bed.opus       music + effects alone (stereo)
#   NAME.json           the true line table (speaker, voice, gender, start, end, ja, en, delivery, level)
# Run once by a developer when a scene changes; CI only uses the committed files. Uses the
# .tools/kokoro venv that scripts/make-japanese-clip.sh installs (run that once first). Extra
# arguments go to make_scenes.py (e.g. --only classroom). Check a scene with real Whisper:
#   .tools/venv/bin/python scripts/check_japanese_clip.py .tools/models/whisper-base test/fixtures/scenes/classroom.opus --json test/fixtures/scenes/classroom.json
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV="$ROOT/.tools/kokoro"
OUT="$ROOT/test/fixtures/scenes"
WORK="$VENV/work/scenes"

say() { printf '\033[1m[scenes]\033[0m %s\n' "$*"; }
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (apt-get install ffmpeg)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "no .tools/kokoro venv: run scripts/make-japanese-clip.sh once first" >&2; exit 1; }
export KOKORO_JA_CACHE="$VENV/cache"

mkdir -p "$WORK" "$OUT"
"$VENV/bin/python" "$ROOT/scripts/make_scenes.py" --out-dir "$WORK" --json-dir "$OUT" "$@"

opus() { # in out channels bitrate application
  ffmpeg -hide_banner -loglevel error -y -i "$1" -map_metadata -1 -fflags +bitexact -flags:a +bitexact \
    -ac "$3" -c:a libopus -b:a "$4" -vbr on -application "$5" "$2"
}
for wav in "$WORK"/*.wav; do
  base=$(basename "$wav" .wav)
  case "$base" in
    *.dialogue) opus "$wav" "$OUT/$base.opus" 1 16k voip ;;
    *.bed) opus "$wav" "$OUT/$base.opus" 2 24k audio ;;  # under 24k libopus folds the side away
    *) opus "$wav" "$OUT/$base.opus" 2 28k audio ;;
  esac
  dur=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$OUT/$base.opus")
  say "$base.opus: ${dur} s, $(stat -c %s "$OUT/$base.opus") bytes"
done
