"""Time per minute of video of the anime mouth-flap engine (engines/lipsync/animeflap.py) on this machine.

  .tools/venv/bin/python scripts/bench_animeflap.py [--fps 24] [--seconds 46] [--doc]

Input, made here: the whole Japanese dialogue of test/fixtures/ja/ (46 s, Kokoro) animated with the
renpy-thequestion sprites by scripts/make_anime_clip.py (640x360, two faces, a cut at the middle), dubbed with
espeak-ng's English of each line placed at the line's start. Runs the engine once as the plugin does (one process)
and prints its analysis / total seconds, the detector's share, and wall and CPU seconds per minute of video, with
the machine (cores, load average before and after). --doc appends the row to docs/PERFORMANCE.md.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPRITES = "/usr/share/games/renpy/the_question/game/images"
WHO = {"Misaki": 1, "Kenta": 0}
HEADER = ("| when | machine | input | face detection | analysis | total | wall per minute of video | CPU per minute of video | frames changed |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=46.0)
    ap.add_argument("--doc", action="store_true")
    a = ap.parse_args()
    dialogue = json.load(open(os.path.join(ROOT, "test", "fixtures", "ja", "dialogue.json")))
    lines = [l for l in dialogue["lines"] if l["start"] < a.seconds]
    with tempfile.TemporaryDirectory(prefix="bench-animeflap-") as work:
        j = lambda name: os.path.join(work, name)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", os.path.join(ROOT, "test", "fixtures", "ja", "dialogue.opus"),
                        "-t", str(a.seconds), "-ac", "1", "-ar", "48000", j("voice.wav")], check=True)
        json.dump([{"start": l["start"], "end": l["end"], "who": WHO.get(l["speaker"], i % 2)} for i, l in enumerate(lines)], open(j("who.json"), "w"))
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_anime_clip.py"), "--images", SPRITES, "--voice", j("voice.wav"),
                        "--lines", j("who.json"), "--out", j("clip.mp4"), "--truth", j("truth.json"), "--fps", str(a.fps),
                        "--duration", str(a.seconds), "--cut", str(a.seconds / 2)], check=True)
        inputs, delays = [], []
        for i, l in enumerate(lines):
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", j(f"en{i}.wav"), l["en"]], check=True)
            inputs += ["-i", j(f"en{i}.wav")]
            delays.append(f"[{i}:a]aresample=48000,adelay={int(l['start'] * 1000)}:all=1[a{i}]")
        mix = ";".join(delays) + ";" + "".join(f"[a{i}]" for i in range(len(lines))) + f"amix=inputs={len(lines)}:normalize=0,apad,atrim=0:{a.seconds}[o]"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", mix, "-map", "[o]", "-ac", "1", j("dub.wav")], check=True)
        json.dump({"face": "clip.mp4", "voice": "dub.wav", "lines": [{"index": i, "start": l["start"], "end": l["end"]} for i, l in enumerate(lines)],
                   "outfile": "out.mp4", "report": "report.json", "still": "still.png", "box": None, "resizeFactor": 1}, open(j("plan.json"), "w"))
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


if __name__ == "__main__":
    main()
