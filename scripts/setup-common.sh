# Helpers for scripts/setup.sh (what a dub needs) and scripts/setup-tests.sh (what only the tests need). Sourced.
# Things built or unpacked once per machine live in a cache outside the checkout, keyed by version, so a second
# clone reuses them: ${XDG_CACHE_HOME:-~/.cache}/anime-dub/.

ANIME_DUB_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/anime-dub"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Size of a path, following a top-level link (e.g. "612M").
size_of() { du -shL "$1" 2>/dev/null | cut -f1; }

# Bytes received by the machine's network interfaces (loopback excluded).
rx_bytes() { awk -F'[: ]+' 'NR > 2 && $2 != "lo" { s += $3 } END { print s + 0 }' /proc/net/dev; }

# Runs a command; while it runs, a progress line every 10 s once more than 10 MB came in since the last one
# ("LABEL: 42 MB downloaded so far"). The count is the machine's network traffic: other downloads add to it.
with_progress() {
  local label=$1; shift
  local start; start=$(rx_bytes)
  local shown=0
  "$@" &
  local pid=$!
  # Looks every second (a cached step is over in one; sleeping 10 s at a time cost a clean checkout a minute),
  # reports at most every 10 s.
  local ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ticks=$(( ticks + 1 ))
    [ $(( ticks % 10 )) -eq 0 ] || continue
    kill -0 "$pid" 2>/dev/null || break
    local mb=$(( ($(rx_bytes) - start) / 1000000 ))
    if [ "$mb" -ge $(( shown + 10 )) ]; then say "  $label: $mb MB downloaded so far" >&2; shown=$mb; fi
  done
  wait "$pid"
}

apt_updated=""
# apt_install WHAT PACKAGE...: installs the missing ones, saying what and how big (apt's own figures) first.
apt_install() {
  local what=$1; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages for $what: all present"
    return 0
  fi
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  local sizes
  sizes=$({ LC_ALL=C $SUDO apt-get install --assume-no --no-install-recommends "${missing[@]}" 2>/dev/null || true; } \
    | sed -n -e 's/^Need to get \([^ ]* [kMG]*B\).*/\1 to download/p' -e 's/^After this operation, \([^ ]* [kMG]*B\) of additional.*/\1 on disk/p' | paste -sd, - | sed "s/,/, /")
  say "installing Debian packages for $what: ${missing[*]} (${sizes:-size unknown})"
  with_progress "apt" env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# cached_build KEY BUILD_FUNCTION: (call it as dir=$(cached_build …), so a failure stops setup) runs BUILD_FUNCTION DIR once per machine into $ANIME_DUB_CACHE/KEY (under a
# lock, so two checkouts setting up at once build it once) and prints that folder. A half-built folder (no
# .complete stamp) is removed and built again.
cached_build() {
  local key=$1 build=$2 dir="$ANIME_DUB_CACHE/$1"
  mkdir -p "$ANIME_DUB_CACHE"
  (
    set -e
    flock 9
    if [ ! -f "$dir/.complete" ]; then
      rm -rf "$dir"
      mkdir -p "$dir"
      # `|| exit`: set -e does not reach inside a command that is itself on the left of ||.
      "$build" "$dir" >&2 || exit 1
      touch "$dir/.complete"
    fi
  ) 9>"$ANIME_DUB_CACHE/$key.lock" || return 1
  echo "$dir"
}

# link_tool NAME DIR: .tools/NAME becomes a link to DIR (a real folder left by an older setup is replaced).
link_tool() {
  mkdir -p "$ROOT/.tools"
  if [ -e "$ROOT/.tools/$1" ] && [ ! -L "$ROOT/.tools/$1" ]; then rm -rf "$ROOT/.tools/$1"; fi
  ln -sfn "$2" "$ROOT/.tools/$1"
}

# join_checked OUT SHA256 FIX PART...: OUT becomes the parts joined in order, once their SHA-256 is the pinned one
# (joined beside it as OUT.part first, so a half-written or wrong file never takes the model's name; refused with
# FIX otherwise). Skipped when OUT is already there at the joined size (the full hash check runs after).
join_checked() {
  local out=$1 want=$2 fix=$3; shift 3
  local size=0 p
  for p in "$@"; do size=$(( size + $(stat -c %s "$p") )); done
  if [ -f "$out" ] && [ "$(stat -c %s "$out")" = "$size" ]; then return 0; fi
  say "joining $(basename "$out") from its $# parts ($(( size / 1000000 )) MB)"
  mkdir -p "$(dirname "$out")"
  cat "$@" > "$out.part"
  local got; got=$(sha256sum "$out.part" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$out.part"
    say "the joined $(basename "$out") has SHA-256 $got, not $want: refused ($fix)"
    return 1
  fi
  mv "$out.part" "$out"
}

# pinned_sha REL: the SHA-256 engines/models.sha256 pins for a file under the models folder.
pinned_sha() { awk -v f="$1" '$2 == f { print $1 }' "$ROOT/engines/models.sha256"; }

# verified_before FILE SHA: true when FILE was checked against SHA by an earlier setup and has not changed since
# (same size, mtime and inode, recorded beside it by mark_verified). Saves hashing a 1.1 GB GGUF on every setup of
# every clean checkout; any write to the file changes its mtime and brings the full check back.
verified_before() {
  local stamp="$1.verified"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$2 $(stat -Lc '%s %Y %i' "$1" 2>/dev/null)" ]
}
mark_verified() { echo "$2 $(stat -Lc '%s %Y %i' "$1")" > "$1.verified"; }
