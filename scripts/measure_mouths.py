"""Measures a mouth-flap result against the truth make_anime_clip.py wrote (used by the animeflap tests).

  measure_mouths.py --truth TRUTH.json --source CLIP.mp4 --result LIPSYNCED.mp4 --reference DUB.mp4
      --voice DUB_VOICE.wav --lines LINES.json

LINES.json: [{"start", "end", "who"}] of the source lines (who: 0 = blue outfit, 1 = green outfit).
Each character's mouth in a result frame is called open or closed by which of its two drawings (the median of
the source clip's truly open and truly closed frames of that shot) it is nearer to. Dub speech is where the dub
voice is within 30 dB of its loudest 50 ms; it belongs to the character of the last source line begun by then.
Prints JSON: per character the share of dub-speech frames drawn open and of dub-silent frames drawn closed,
how often the result still agrees with the source's drawing, and the PSNR (dB) of everything outside the mouth
regions (each widened by a face's width / 3) against the reference (the dub without lip-sync).
"""
import argparse
import json
import subprocess

import numpy as np

OUTFITS = ("blue", "green")


def frames(path, w, h):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3)


def speech(voice, fps, n):
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", voice, "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768
    win = 800
    db = np.array([10 * np.log10(np.mean(x[i:i + win] ** 2) + 1e-12) for i in range(0, len(x), win)])
    loud = db > db.max() - 30
    per_sec = 16000 / win
    return np.array([bool(loud[min(len(loud) - 1, int((f + 0.5) / fps * per_sec))]) for f in range(n)])


def main():
    ap = argparse.ArgumentParser()
    for k in ("truth", "source", "result", "reference", "voice", "lines"):
        ap.add_argument(f"--{k}", required=True)
    a = ap.parse_args()
    truth = json.load(open(a.truth))
    lines = sorted(json.load(open(a.lines)), key=lambda l: l["start"])
    w, h, fps = truth["width"], truth["height"], truth["fps"]
    src, out, ref = (frames(p, w, h) for p in (a.source, a.result, a.reference))
    n = min(len(src), len(out), len(ref), truth["frames"])
    dub = speech(a.voice, fps, n)
    shots = truth["shots"] + [n]

    def crop(img, box):
        x, y, bw, bh = box
        return img[y:y + bh, x:x + bw].astype(np.float32)

    result = {"frames": n, "characters": {}}
    for who, outfit in enumerate(OUTFITS):
        drawn, agree_src, in_speech, silent = [], [], [], []
        for s in range(len(shots) - 1):
            fr = range(shots[s], shots[s + 1])
            box = truth["faces"][shots[s]][outfit]["mouth"]
            opened = [f for f in fr if truth["faces"][f][outfit]["open"]]
            closed = [f for f in fr if not truth["faces"][f][outfit]["open"]]
            if not opened or not closed:
                continue
            ref_open = np.median([crop(src[f], box) for f in opened], axis=0)
            ref_closed = np.median([crop(src[f], box) for f in closed], axis=0)
            for f in fr:
                c = crop(out[f], box)
                is_open = np.mean(np.abs(c - ref_open)) < np.mean(np.abs(c - ref_closed))
                t = (f + 0.5) / fps
                begun = [l for l in lines if l["start"] <= t + 0.15]
                owner = (begun[-1] if begun else lines[0])["who"]
                drawn.append(is_open)
                agree_src.append(is_open == truth["faces"][f][outfit]["open"])
                if dub[f] and owner == who:
                    in_speech.append(is_open)
                elif not dub[f]:
                    silent.append(not is_open)
        result["characters"][outfit] = {
            "speechFrames": len(in_speech), "openInSpeech": float(np.mean(in_speech)) if in_speech else None,
            "silentFrames": len(silent), "closedInSilence": float(np.mean(silent)) if silent else None,
            "agreesWithSource": float(np.mean(agree_src)) if agree_src else None,
        }
    mask = np.ones((h, w), dtype=bool)
    for f in range(n):
        for outfit in OUTFITS:
            x, y, bw, bh = truth["faces"][f][outfit]["mouth"]
            m = 16
            mask[max(0, y - m):y + bh + m, max(0, x - m):x + bw + m] = False
    diff = (out[:n].astype(np.float32) - ref[:n].astype(np.float32))[:, mask]
    mse = float(np.mean(diff ** 2))
    result["psnrOutsideMouths"] = 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    result["identicalOutsideMouths"] = mse == 0
    print(json.dumps(result))


if __name__ == "__main__":
    main()
