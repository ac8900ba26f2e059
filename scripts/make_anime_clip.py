"""Animates a visual novel's character sprites into a short clip whose mouths flap to a voice track.

The art is Debian's renpy-thequestion ("The Question", Ren'Py's sample game, Expat licence; installed by
scripts/setup.sh): Sylvie in two outfits stands in for two characters. Each sprite has a closed-mouth ("normal")
and an open-mouth ("smile") version that differ only around the mouth. Shot 1 shows both on one background, shot 2
(from --cut) swaps them on another, so face tracking and the speaker choice start over at the cut. With --tail, a
third shot of that many seconds at the end shows both again on a third background with nobody speaking: a shot
the mouth-flap plugin must leave as it was (its frames bit-identical, stream-copied).

A character's mouth is open in a frame when its own line is playing there and the voice is loud (above a fifth of
the track's loudest frame); closed otherwise. The truth file records, per frame, each character's mouth box (in
frame pixels) and whether it was drawn open, plus the shot starts: the mouth-flap tests measure against it.

  make_anime_clip.py --images DIR --voice AUDIO --lines LINES.json --out CLIP.mp4 --truth TRUTH.json
      [--fps 12] [--duration 11.5] [--cut 6.0] [--tail 0]

LINES.json: [{"start": s, "end": s, "who": 0|1}, ...] (0 = blue outfit, 1 = green outfit).
Frames are piped to one ffmpeg (raw RGB in, H.264 out) with the voice as the audio track.
"""
import argparse
import json
import subprocess
import sys

import numpy as np
from PIL import Image

W, H = 640, 360
SCALE = 0.62
OUTFITS = ("blue", "green")
# Each outfit's mouth region in its sprite (around animeface's mouth point on the unscaled sprites, wide enough
# for the open mouth): x, y, w, h. The open sprite is the closed one with this region taken from "smile", so the
# two states differ only there (the smile sprites also change the eyes a little).
MOUTH = {"blue": (130, 125, 60, 45), "green": (153, 125, 60, 45)}


def sprite(images, outfit, state):
    im = Image.open(f"{images}/sylvie {outfit} normal.png").convert("RGBA")
    if state == "open":
        x, y, w, h = MOUTH[outfit]
        smile = Image.open(f"{images}/sylvie {outfit} smile.png").convert("RGBA")
        im.paste(smile.crop((x, y, x + w, y + h)), (x, y))
    return im.resize((round(im.width * SCALE), round(im.height * SCALE)), Image.LANCZOS)


def background(images, name):
    im = Image.open(f"{images}/bg {name}.jpg").convert("RGBA")
    return im.resize((W, H), Image.LANCZOS)


def loudness(voice, fps, frames):
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", voice, "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768
    hop = 16000 / fps
    rms = np.array([np.sqrt(np.mean(x[int(i * hop):int((i + 1) * hop)] ** 2)) if int(i * hop) < len(x) else 0.0 for i in range(frames)])
    return rms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--voice", required=True)
    ap.add_argument("--lines", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--fps", type=int, default=12)
    ap.add_argument("--duration", type=float, default=11.5)
    ap.add_argument("--cut", type=float, default=6.0)
    ap.add_argument("--tail", type=float, default=0.0, help="seconds of a silent third shot after --duration")
    a = ap.parse_args()

    lines = json.load(open(a.lines))
    frames = round((a.duration + a.tail) * a.fps)
    rms = loudness(a.voice, a.fps, frames)
    loud = rms > 0.2 * rms.max()
    sprites = {(o, s): sprite(a.images, o, s) for o in OUTFITS for s in ("closed", "open")}
    shots = [
        {"start": 0, "bg": background(a.images, "uni"), "x": {"blue": 40, "green": 330}},
        {"start": round(a.cut * a.fps), "bg": background(a.images, "club"), "x": {"blue": 350, "green": 20}},
    ]
    if a.tail > 0:
        shots.append({"start": round(a.duration * a.fps), "bg": background(a.images, "lecturehall"), "x": {"blue": 60, "green": 340}, "silent": True})
    ff = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(a.fps), "-i", "-",
                           "-i", a.voice, "-t", str(frames / a.fps), "-map", "0:v", "-map", "1:a",
                           "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", "-g", str(a.fps * 2),
                           "-c:a", "aac", "-b:a", "96k", "-ar", "48000", a.out], stdin=subprocess.PIPE)
    truth = {"fps": a.fps, "frames": frames, "width": W, "height": H, "shots": [s["start"] for s in shots], "faces": []}
    for f in range(frames):
        shot = [s for s in shots if s["start"] <= f][-1]
        t = (f + 0.5) / a.fps
        canvas = shot["bg"].copy()
        row = {}
        for who, outfit in enumerate(OUTFITS):
            speaking = not shot.get("silent") and any(l["who"] == who and l["start"] <= t < l["end"] for l in lines)
            is_open = bool(speaking and loud[f])
            sp = sprites[(outfit, "open" if is_open else "closed")]
            x = shot["x"][outfit]
            canvas.alpha_composite(sp, (x, 0))
            mx, my, mw, mh = MOUTH[outfit]
            row[outfit] = {"open": is_open, "speaking": speaking,
                           "mouth": [x + round(mx * SCALE), round(my * SCALE), round(mw * SCALE), round(mh * SCALE)]}
        truth["faces"].append(row)
        ff.stdin.write(canvas.convert("RGB").tobytes())
    ff.stdin.close()
    if ff.wait() != 0:
        sys.exit("ffmpeg failed")
    json.dump(truth, open(a.truth, "w"))


if __name__ == "__main__":
    main()
