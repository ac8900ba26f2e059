"""What starting our engines costs in CPU, before they do any work (docs/PERFORMANCE.md, issue 30).

  .tools/venv/bin/python scripts/bench_startup.py [--runs 20]

- ffmpeg and ffprobe: the bundled build (.tools/ffmpeg, engines/ffmpegBuild.ts) against the system's, each started
  `--runs` times on a short job (trim + resample a 3 s clip; probe it). CPU of the children, per run.
- onnxruntime models of the engine host (Kokoro int8, the piper voice, Silero VAD): a load of the model as it ships
  against a load of its optimized copy (engines/host/onnx_options.py), each in a fresh Python so nothing is shared,
  and whether both answer the same input byte for byte (Kokoro).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, ".tools", "models")
BUNDLED = os.path.join(ROOT, ".tools", "ffmpeg")


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def per_run(argv, runs):
    before = child_cpu()
    for _ in range(runs):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (child_cpu() - before) / runs


LOAD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, onnxruntime as ort
from onnx_options import cpu_session, loaded_from
model, cache = sys.argv[2], sys.argv[3]
import os; os.environ["XDG_CACHE_HOME"] = cache
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1
t = time.process_time()
s = cpu_session(ort, model, opts) if cache != "-" else ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
load = time.process_time() - t
out = None
if "kokoro" in model:
    feed = {"tokens": np.array([[0, *range(10, 60), 0]], np.int64), "style": np.linspace(-0.5, 0.5, 256, dtype=np.float32).reshape(1, 256), "speed": np.array([1.0], np.float32)}
    out = s.run(None, feed)[0].tobytes().hex()[:4096] + str(len(s.run(None, feed)[0]))
print(json.dumps({"load": load, "how": loaded_from.get(model, "as is"), "out": out}))
"""


def load_once(model, cache):
    got = subprocess.run([sys.executable, "-c", LOAD, os.path.join(ROOT, "engines", "host"), model, cache], check=True, capture_output=True, text=True)
    return json.loads(got.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-startup-")
    try:
        clip = os.path.join(work, "clip.wav")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=3", "-ar", "24000", clip], check=True)
        print("program                      CPU-s per run")
        for label, d in (("system", os.path.dirname(shutil.which("ffmpeg") or "/usr/bin/ffmpeg")), ("bundled", BUNDLED)):
            ff, fp = os.path.join(d, "ffmpeg"), os.path.join(d, "ffprobe")
            if not os.path.exists(ff):
                print(f"{label:8} ffmpeg: not installed")
                continue
            trim = per_run([ff, "-nostdin", "-v", "error", "-y", "-i", clip, "-af", "silenceremove=start_periods=1,aresample=48000", os.path.join(work, "o.wav")], args.runs)
            probe = per_run([fp, "-v", "error", "-show_format", "-of", "json", clip], args.runs)
            print(f"{label:8} ffmpeg trim + resample   {trim:.3f}")
            print(f"{label:8} ffprobe                  {probe:.3f}")
        print("\nmodel                          load as shipped  from optimized copy  same output")
        for rel in ("kokoro/kokoro-v1.0.int8.onnx", "piper/en_US-joe-medium.onnx", "silero/silero_vad.onnx"):
            model = os.path.join(MODELS, rel)
            if not os.path.exists(model):
                continue
            cache = os.path.join(work, "cache-" + os.path.basename(rel))
            plain = load_once(model, "-")
            load_once(model, cache)  # writes the copy
            copy = load_once(model, cache)
            same = "-" if plain["out"] is None else ("yes" if plain["out"] == copy["out"] else "NO")
            print(f"{rel:30} {plain['load']:15.2f}  {copy['load']:19.2f}  {same}  ({copy['how']})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
