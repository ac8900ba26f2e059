#!/usr/bin/env bash
# What only the tests need, on top of scripts/setup.sh (which a dub needs; run it first): Debian packages (real
# LibriVox speech for the recognizers' tests, chromium for the watch page's browser test, nginx and openssl for the
# mTLS front of the connection tests) and MinIO, a real S3-compatible server for the artifact-store tests.
# MinIO has no prebuilt release on the registries this project installs from, so it is built from the Go module
# proxy at a pinned version (go checks every module against sum.golang.org) once per machine, into
# ~/.cache/anime-dub/minio-<version>/, and linked as .tools/minio: a clean checkout reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/setup-common.sh

apt_install "the tests" \
  pocketsphinx-testdata `# LibriVox speech: the recognizers' accuracy tests` \
  chromium fonts-liberation `# chromium: the watch page's browser test (driven by playwright-core)` \
  nginx openssl `# the mTLS front (grpc_pass, ssl_verify_client) and its certificates in the connection tests` \
  renpy-thequestion  # a free visual novel (Expat): its character sprites are the anime mouth-flap test's art

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_DIR="$ROOT/.tools/minio"
build_minio() {
  mkdir -p "$1/bin"
  GOBIN="$1/bin" GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION"
  echo "$MINIO_VERSION" > "$1/.version"
}
if [ ! -x "$MINIO_DIR/bin/minio" ] || [ "$(cat "$MINIO_DIR/.version" 2>/dev/null)" != "$MINIO_VERSION" ]; then
  [ -f "$ANIME_DUB_CACHE/minio-$MINIO_VERSION/.complete" ] \
    || say "building MinIO $MINIO_VERSION (go install: about 250 MB of modules, a 150 MB binary; a few minutes, once per machine) into ~/.cache/anime-dub"
  dir=$(with_progress "MinIO modules" cached_build "minio-$MINIO_VERSION" build_minio)
  link_tool minio "$dir"
fi
say "MinIO $MINIO_VERSION: .tools/minio ($(size_of "$MINIO_DIR/bin/minio"))"
