"""Time per minute of video of the anime mouth-flap engine (engines/lipsync/animeflap.py) on this machine.

  .tools/venv/bin/python scripts/bench_animeflap.py [--fps 24] [--seconds 46] [--tail 0] [--render] [--doc]

Input, made here: the whole Japanese dialogue of test/fixtures/ja/ (46 s, Kokoro) animated with the
renpy-thequestion sprites by scripts/make_anime_clip.py (640x360, two faces, a cut at the middle), dubbed with
espeak-ng's English of each line placed at the line's start. Runs the engine once as the plugin does (one process)
and prints its analysis / total seconds, the detector's share, and wall and CPU seconds per minute of video, with
the machine (cores, load average before and after). --doc appends the row to docs/PERFORMANCE.md.

--synthetic WxH (with --seconds, --fps) skips the faces: an ffmpeg test picture of that size (x264, a keyframe
every 2 s) gets a grey block pasted on the frames of every third GOP, and only the render is timed both ways.

--tail S adds a third shot of S seconds where nobody speaks (the dub is silent there too). --render analyses once
in this process and then times only the picture's render both ways on the same edits: the whole video re-encoded,
and only the GOPs with a changed frame re-encoded and the rest stream-copied (wall and CPU seconds of each, with
the share of frames re-encoded).
"""
import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPRITES = "/usr/share/games/renpy/the_question/game/images"
WHO = {"Misaki": 1, "Kenta": 0}
HEADER = ("| when | machine | input | face detection | analysis | total | wall per minute of video | CPU per minute of video | frames changed |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=46.0)
    ap.add_argument("--tail", type=float, default=0.0)
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--synthetic", help="WxH: time only the render, on a test picture with edits in every third GOP")
    ap.add_argument("--doc", action="store_true")
    a = ap.parse_args()
    total_seconds = a.seconds + a.tail
    if a.synthetic:
        return synthetic(a)
    dialogue = json.load(open(os.path.join(ROOT, "test", "fixtures", "ja", "dialogue.json")))
    lines = [l for l in dialogue["lines"] if l["start"] < a.seconds]
    with tempfile.TemporaryDirectory(prefix="bench-animeflap-") as work:
        j = lambda name: os.path.join(work, name)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", os.path.join(ROOT, "test", "fixtures", "ja", "dialogue.opus"),
                        "-af", f"atrim=0:{a.seconds},apad=whole_dur={total_seconds}", "-ac", "1", "-ar", "48000", j("voice.wav")], check=True)
        json.dump([{"start": l["start"], "end": l["end"], "who": WHO.get(l["speaker"], i % 2)} for i, l in enumerate(lines)], open(j("who.json"), "w"))
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_anime_clip.py"), "--images", SPRITES, "--voice", j("voice.wav"),
                        "--lines", j("who.json"), "--out", j("clip.mp4"), "--truth", j("truth.json"), "--fps", str(a.fps),
                        "--duration", str(a.seconds), "--cut", str(a.seconds / 2), "--tail", str(a.tail)], check=True)
        inputs, delays = [], []
        for i, l in enumerate(lines):
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", j(f"en{i}.wav"), l["en"]], check=True)
            inputs += ["-i", j(f"en{i}.wav")]
            delays.append(f"[{i}:a]aresample=48000,adelay={int(l['start'] * 1000)}:all=1[a{i}]")
        mix = ";".join(delays) + ";" + "".join(f"[a{i}]" for i in range(len(lines))) + f"amix=inputs={len(lines)}:normalize=0,apad,atrim=0:{total_seconds}[o]"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", mix, "-map", "[o]", "-ac", "1", j("dub.wav")], check=True)
        json.dump({"face": "clip.mp4", "voice": "dub.wav", "lines": [{"index": i, "start": l["start"], "end": l["end"]} for i, l in enumerate(lines)],
                   "outfile": "out.mp4", "report": "report.json", "still": "still.png", "box": None, "resizeFactor": 1}, open(j("plan.json"), "w"))
        if a.render:
            return render_both(a, work, total_seconds)
        load_before = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        subprocess.run([sys.executable, os.path.join(ROOT, "engines", "lipsync", "animeflap.py"), "plan.json"], cwd=work, check=True,
                       stderr=subprocess.DEVNULL)
        wall = time.time() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time of the engine and its ffmpegs: what the run costs on an idle machine, whatever the load now.
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        load_after = os.getloadavg()[0]
        report = json.load(open(j("report.json")))
    per_min = wall / (a.seconds / 60)
    row = (f"| {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | {os.cpu_count()} cores, load {load_before:.1f} → {load_after:.1f} | "
           f"{a.seconds:g} s, 640x360 @ {a.fps} fps, {len(report['shots'])} shots | {report['detections']} detections, "
           f"{report['detectionSeconds']:.1f} s | {report['seconds']['analysis']:.1f} s | {wall:.1f} s | **{per_min:.0f} s** | {cpu / (a.seconds / 60):.0f} s | {report['framesChanged']} |")
    print(row)
    if a.doc:
        with open(os.path.join(ROOT, "docs", "PERFORMANCE.md"), "a") as fh:
            fh.write(f"\n## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC — anime mouth flaps (scripts/bench_animeflap.py)\n\n{HEADER}\n{row}\n")


RENDER_HEADER = ("| when | machine | input | frames changed | whole re-encode: wall / CPU | GOPs with a change re-encoded, rest copied: wall / CPU | frames re-encoded | GOPs (keyframes) |\n"
                 "| --- | --- | --- | --- | --- | --- | --- | --- |")


class Block:
    """Stands where the engine's face track would: a grey block pasted at one place."""

    def __init__(self, frames):
        self.rh, self.rw = 64, 96
        self.pos = {n: (128, 128) for n in frames}
        self.y = {0: np.full((64, 96), 128, np.uint8)}
        self.u = {0: np.full((32, 48), 128, np.uint8)}
        self.v = {0: np.full((32, 48), 128, np.uint8)}


def synthetic(a):
    sys.path.insert(0, os.path.join(ROOT, "engines", "lipsync"))
    import animeflap
    w, h = (int(x) for x in a.synthetic.split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-animeflap-") as work:
        os.chdir(work)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={a.fps}",
                        "-t", str(a.seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", str(a.fps * 2),
                        "-pix_fmt", "yuv420p", "clip.mp4"], check=True)
        keys = [animeflap.frame_key(y) for y, _, _ in animeflap.frames_of("clip.mp4", w, h)]
        gop = a.fps * 2
        frames = [n for n in range(len(keys)) if (n // gop) % 3 == 0 and n % gop < gop // 2]
        block = Block(frames)
        retimed = {"size": (w, h), "rate": f"{a.fps}/1", "fps": float(a.fps), "total": len(keys), "keys": keys,
                   "edits": {n: [(block, 0)] for n in frames}}
        render_both(a, work, a.seconds, {"face": "clip.mp4", "still": "still.png", "outfile": "out.mp4"}, retimed,
                    f"{a.seconds:g} s test picture, {w}x{h} @ {a.fps} fps")


def render_both(a, work, total_seconds, plan=None, retimed=None, what=None):
    """The engine's analysis once, then its render twice on the same edits."""
    sys.path.insert(0, os.path.join(ROOT, "engines", "lipsync"))
    import animeflap
    os.chdir(work)
    if plan is None:
        plan = json.load(open("plan.json"))
        retimed = animeflap.retime(plan)
        what = f"{total_seconds:g} s ({a.tail:g} s of it silent), 640x360 @ {a.fps} fps"
    load_before = os.getloadavg()[0]
    runs = {}
    for segments in (False, True):
        cpu_before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        started = time.time()
        how = animeflap.render(dict(plan, outfile=f"out-{'segments' if segments else 'whole'}.mp4"), retimed, segments=segments)
        wall = time.time() - started
        cpu_after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        cpu = sum((b.ru_utime - x.ru_utime) + (b.ru_stime - x.ru_stime) for x, b in zip(cpu_before, cpu_after))
        runs[segments] = (wall, cpu, how)
    load_after = os.getloadavg()[0]
    how = runs[True][2]
    whole, seg = runs[False], runs[True]
    row = (f"| {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | {os.cpu_count()} cores, load {load_before:.1f} → {load_after:.1f} | "
           f"{what} | {len(retimed['edits'])} of {retimed['total']} | "
           f"{whole[0]:.1f} s / {whole[1]:.1f} s | {seg[0]:.1f} s / {seg[1]:.1f} s ({how['mode']}{': ' + how['reason'] if how.get('reason') else ''}) | "
           f"{how['framesReencoded']} of {retimed['total']} | {len(how.get('segments') or [])} runs ({how.get('keyframes', '?')}) |")
    print(row)
    if a.doc:
        with open(os.path.join(ROOT, "docs", "PERFORMANCE.md"), "a") as fh:
            fh.write(f"\n## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC — anime mouth flaps: segment render (scripts/bench_animeflap.py --render)\n\n{RENDER_HEADER}\n{row}\n")


if __name__ == "__main__":
    main()
