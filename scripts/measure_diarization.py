#!/usr/bin/env python3
"""Measures the embedded diarizer (engines/host/speaker_turns.py: Silero VAD + CAM++ embeddings clustered) on the
committed Kokoro fixtures: speakers found, the share of true lines whose voiced stretches got the right speaker
cluster (clusters matched to speakers one to one, largest first), VAD onsets against the true line starts, and CPU
seconds per audio minute. Rerunnable; results go in docs/PERFORMANCE.md by hand (machine, date).

    .tools/venv/bin/python scripts/measure_diarization.py [--distance 0.45] [--bed 0] [--embedding]

--bed ALPHA: how much of the local bed's power is subtracted before the embeddings (bed_subtraction.py; 0: none).

--embedding: the CAM++ embedding alone, one per true line: mean (and worst) cosine between lines of the same
speaker and of different speakers, on the dialogue stems and on the mixes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "engines", "host"))
import numpy as np  # noqa: E402
import speaker_embedding as se  # noqa: E402
import speaker_turns as st  # noqa: E402
import voice_activity as va  # noqa: E402

MODEL = os.path.join(ROOT, ".tools", "models", "silero", "silero_vad.onnx")
EMBEDDING = os.path.join(ROOT, ".tools", "models", "campplus", "campplus_cn_en_common.npz")
FIXTURES = [
    ("dialogue (2 voices, no music)", "test/fixtures/ja/dialogue.opus", "test/fixtures/ja/dialogue.json", None),
    ("classroom (4 characters, music bed)", "test/fixtures/scenes/classroom.opus", "test/fixtures/scenes/classroom.json", None),
    ("festival (4 characters, music bed)", "test/fixtures/scenes/festival.opus", "test/fixtures/scenes/festival.json", None),
    ("classroom, Haruka alone over the bed", "test/fixtures/scenes/classroom.dialogue.opus", "test/fixtures/scenes/classroom.json", "Haruka"),
    ("classroom, Sota alone over the bed", "test/fixtures/scenes/classroom.dialogue.opus", "test/fixtures/scenes/classroom.json", "Sota"),
    ("festival, Daichi alone over the bed", "test/fixtures/scenes/festival.dialogue.opus", "test/fixtures/scenes/festival.json", "Daichi"),
    ("classroom, voices alone (no bed)", "test/fixtures/scenes/classroom.dialogue.opus", "test/fixtures/scenes/classroom.json", None),
    ("festival, voices alone (no bed)", "test/fixtures/scenes/festival.dialogue.opus", "test/fixtures/scenes/festival.json", None),
]
# engines/voiceActivity.ts VAD_SETTINGS, as the jobs call it
VAD = {"threshold": 0.5, "minSilenceSec": 0.1, "minSpeechSec": 0.2, "padSec": 0.03, "endThreshold": 0.8, "endLagSec": 0.064,
       "underBedSure": 0.95, "underBedExtend": 0.9}


def to_wav(src, out, only=None, lines=None, bed=None):
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src]
    if only:
        keep = "+".join(f"between(t,{l['start'] - 0.1:.2f},{l['end'] + 0.1:.2f})" for l in lines if l["speaker"] == only)
        cmd += ["-i", bed, "-filter_complex",
                f"[0]aformat=channel_layouts=mono,volume=0:enable='not({keep})'[d];[1]aformat=channel_layouts=mono[b];[d][b]amix=inputs=2:normalize=0"]
    subprocess.run(cmd + ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", out], check=True)
    return out


def accuracy(lines, turns):
    labels = []
    for l in lines:
        ov = Counter()
        for t in turns:
            o = min(l["end"], t["end"]) - max(l["start"], t["start"])
            if o > 0:
                ov[t["label"]] += o
        labels.append(ov.most_common(1)[0][0] if ov else None)
    counts = Counter((l["speaker"], x) for l, x in zip(lines, labels) if x)
    taken, used = {}, set()
    for (s, x), _ in counts.most_common():
        if s not in taken and x not in used:
            taken[s] = x
            used.add(x)
    return sum(1 for l, x in zip(lines, labels) if x and taken.get(l["speaker"]) == x) / len(lines)


def embedding_check(tmp):
    model = se.load(EMBEDDING)
    for scene in ("classroom", "festival"):
        data = json.load(open(os.path.join(ROOT, f"test/fixtures/scenes/{scene}.json"), encoding="utf-8"))
        lines = data["lines"]
        who = np.array([l["speaker"] for l in lines])
        same = (who[:, None] == who[None, :]) & ~np.eye(len(who), dtype=bool)
        for kind in ("dialogue", "audio"):
            wav = to_wav(os.path.join(ROOT, "test/fixtures/scenes", data[kind]), os.path.join(tmp, f"{scene}-{kind}.wav"))
            pcm = va.read_wav16k(wav)
            feats = se.fbank_blocks(pcm)
            emb = np.concatenate([se.embed(model, feats, [(int(l["start"] * 100), int((l["end"] - l["start"]) * 100) - 2)]) for l in lines])
            cos = emb @ emb.T
            print(f"{scene} {'dialogue stem' if kind == 'dialogue' else 'mix (music bed)'}: same speaker {cos[same].mean():.2f} "
                  f"(lowest {cos[same].min():.2f}), different speakers {cos[~same & ~np.eye(len(who), dtype=bool)].mean():.2f} "
                  f"(highest {cos[(who[:, None] != who[None, :])].max():.2f}); lines nearer to their own speaker's other lines "
                  f"than to any other speaker's: {own_nearest(cos, who) * 100:.0f} %")


def own_nearest(cos, who):
    ok = 0
    for i in range(len(who)):
        mean = {s: cos[i, (who == s) & (np.arange(len(who)) != i)].mean() for s in set(who) if ((who == s) & (np.arange(len(who)) != i)).any()}
        ok += max(mean, key=mean.get) == who[i]
    return ok / len(who)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distance", type=float, default=st.CLUSTER_DISTANCE)
    ap.add_argument("--bed", type=float, default=st.bed.ALPHA)
    ap.add_argument("--embedding", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.embedding:
            return embedding_check(tmp)
        for k, (name, audio, table, only) in enumerate(FIXTURES):
            data = json.load(open(os.path.join(ROOT, table), encoding="utf-8"))
            lines = [l for l in data["lines"] if not only or l["speaker"] == only]
            bed = os.path.join(ROOT, "test/fixtures/scenes", data["bed"]) if only else None
            wav = to_wav(os.path.join(ROOT, audio), os.path.join(tmp, f"{k}.wav"), only, data["lines"], bed)
            pcm = va.read_wav16k(wav)
            minutes = len(pcm) / va.RATE / 60
            t0 = time.process_time()
            probs = va.speech_probabilities(MODEL, pcm)
            vad_cpu = time.process_time() - t0
            t0 = time.process_time()
            r = st.speaker_turns({"audio": wav, "model": MODEL, "embedding": EMBEDDING, "clusterDistance": args.distance,
                                   "bedSubtraction": args.bed, **VAD})
            cpu = time.process_time() - t0
            regions = r["regions"]  # the jobs' voiced stretches (VAD with the voice under the bed)
            onsets = [min((s for s, _ in regions), key=lambda s: abs(s - l["start"])) - l["start"] for l in lines]
            near = sum(abs(d) <= 0.2 for d in onsets) / len(onsets)
            print(f"{name}: {r['speakers']} speakers (true {len({l['speaker'] for l in lines})}), "
                  f"{accuracy(lines, r['turns']) * 100:.0f} % of {len(lines)} lines on the right cluster; "
                  f"a VAD onset within 200 ms of {near * 100:.0f} % of line starts; "
                  f"VAD {vad_cpu / minutes:.2f} CPU-s/audio-min, VAD + diarizer {cpu / minutes:.2f} CPU-s/audio-min")


if __name__ == "__main__":
    main()
