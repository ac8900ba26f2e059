#!/usr/bin/env python3
"""CPU and wall time of Whisper base (faster-whisper), Kokoro and piper with one thread per model and with every core
(engines.threads / ENGINE_THREADS, engines/host/onnx_options.py), in this process, alternating, on the same input.

    .tools/venv/bin/python scripts/bench_engine_threads.py AUDIO.wav [ROUNDS]

AUDIO is 16 kHz mono speech (e.g. a test scene's audio: ffmpeg -i scene.mp4 -ac 1 -ar 16000 scene.wav), recognized
as Japanese. Prints one line per run (engine, threads, wall s, CPU s, load average); results are written down in
docs/PERFORMANCE.md."""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench_onnx_spinning as spin  # noqa: E402  (Kokoro and piper on the same sentences as that benchmark)

MODELS = spin.MODELS


def whisper(audio, threads):
    from faster_whisper import WhisperModel
    model = WhisperModel(str(MODELS / "whisper-base"), device="cpu", compute_type="int8", cpu_threads=threads)
    c0, t0 = spin.cpu(), time.time()
    segments, _ = model.transcribe(audio, language="ja", beam_size=5, word_timestamps=True, vad_filter=False)
    n = len(list(segments))
    return time.time() - t0, spin.cpu() - c0, f"{n} segments"


def onnx(run, threads):
    wall, used, speech = run(False, threads)  # asleep between operators, as the engine host runs them
    return wall, used, f"{speech:.1f} s of speech"


def main():
    audio = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    cores = os.cpu_count() or 1
    for _ in range(rounds):
        for threads in (cores, 1):
            for name, run in (("whisper", lambda t: whisper(audio, t)), ("kokoro", lambda t: onnx(spin.kokoro, t)),
                              ("piper", lambda t: onnx(spin.piper, t))):
                wall, used, what = run(threads)
                print(f"{name:7} threads {threads}  wall {wall:6.1f} s  CPU {used:6.1f} s  {what}  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
