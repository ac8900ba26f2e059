#!/usr/bin/env python3
"""Check the Japanese dialogue fixture with real Whisper (faster-whisper).

    .tools/venv/bin/python scripts/check_japanese_clip.py MODEL_DIR [CLIP] [--json JSON]

MODEL_DIR is a CTranslate2 Whisper model directory (model.bin, config.json, tokenizer.json,
vocabulary.txt); CLIP defaults to test/fixtures/ja/dialogue.opus and JSON to the dialogue.json
beside it. Prints:
  * the character error rate of task=transcribe (language=ja) against the concatenated Japanese
    lines, both with punctuation and whitespace removed (after NFKC);
  * for task=translate, per line whether each keyword group (alternatives) appears as a word in
    the English of the segments that overlap the line's start/end, and the share of lines whose
    groups all appear (a word also matches its plural in -s/-es).
Exits 1 when CER > --max-cer (default 0.10) or the keyword hit rate < --min-hits (default 0.9).
"""
import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

from faster_whisper import WhisperModel


def normalize_ja(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZC"))


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def has_word(text: str, word: str) -> bool:
    """word as a whole word, or with a plural -s/-es (cake -> cakes)."""
    return re.search(r"\b" + re.escape(word) + r"(?:s|es)?\b", text) is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("clip", nargs="?", default="test/fixtures/ja/dialogue.opus")
    ap.add_argument("--json", help="dialogue JSON (default: dialogue.json beside the clip)")
    ap.add_argument("--beam-size", type=int, default=5)
    ap.add_argument("--max-cer", type=float, default=0.10)
    ap.add_argument("--min-hits", type=float, default=0.9)
    ap.add_argument("--vad", action="store_true", help="vad_filter=True and word_timestamps=True, as engines/host/engine_host.py does")
    args = ap.parse_args()

    clip = Path(args.clip)
    data = json.loads(Path(args.json or clip.with_name("dialogue.json")).read_text(encoding="utf-8"))
    lines = data["lines"]
    model = WhisperModel(args.model_dir, device="cpu", compute_type="int8")
    opts = {"beam_size": args.beam_size, "vad_filter": args.vad, "word_timestamps": args.vad}

    def segments_of(task):
        t = time.monotonic()
        segs = list(model.transcribe(str(clip), language="ja", task=task, **opts)[0])
        print(f"{task}: {len(segs)} segments in {time.monotonic() - t:.1f} s")
        for s in segs:
            print(f"  [{s.start:6.2f}-{s.end:6.2f}] {s.text.strip()}")
        return segs

    # --- transcribe: CER ---
    segs = segments_of("transcribe")
    ref = normalize_ja("".join(l["ja"] for l in lines))
    hyp = normalize_ja("".join(s.text for s in segs))
    dist = edit_distance(ref, hyp)
    cer = dist / len(ref)
    print(f"reference:  {ref}")
    print(f"hypothesis: {hyp}")
    print(f"CER: {cer:.4f} ({dist} edits / {len(ref)} chars)")

    # --- translate: keywords per line ---
    tsegs = segments_of("translate")
    hits = 0
    for l in lines:
        english = " ".join(s.text.strip() for s in tsegs if s.start < l["end"] and s.end > l["start"]).lower()
        groups = [(g, any(has_word(english, w) for w in g)) for g in l["keywords"]]
        ok = all(found for _, found in groups)
        hits += ok
        marks = " ".join(("+" if found else "-") + "/".join(g) for g, found in groups)
        print(f"  line {l['index']:2d} {'HIT ' if ok else 'MISS'} {marks:40s} | {english}")
    rate = hits / len(lines)
    print(f"keyword hits: {hits}/{len(lines)} lines ({rate:.0%})")

    ok = cer <= args.max_cer and rate >= args.min_hits
    print("PASS" if ok else f"FAIL (want CER <= {args.max_cer}, hits >= {args.min_hits:.0%})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
