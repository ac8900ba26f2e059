#!/usr/bin/env python3
"""CPU and wall time of Kokoro and piper synthesis with onnxruntime's spinning threads (its default) and with them
asleep between operators (engines/host/onnx_options.py), in this process, alternating, on the same sentences.

    .tools/venv/bin/python scripts/bench_onnx_spinning.py [ROUNDS]

Prints one line per run (engine, threads spinning or asleep, wall s, CPU s, seconds of speech, load average);
results are written down in docs/PERFORMANCE.md."""
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "engines" / "host"))
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import kokoro_tts  # noqa: E402
from onnx_options import cpu_session_options  # noqa: E402

MODELS = Path(os.environ.get("ENGINE_MODELS_DIR", ROOT / ".tools" / "models"))
TEXTS = ["Good morning. The weather is really nice today.", "Good morning. But I am a little sleepy.",
         "Did you play games until late again?", "I watched a movie until late yesterday.",
         "Then let us eat cake on the way home.", "I want to go! But they say it will rain in the afternoon."]


def options(spinning, threads=None):
    if not spinning:
        return cpu_session_options(ort, threads)
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    return opts


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def kokoro(spinning, threads=None):
    k = MODELS / "kokoro"
    session = ort.InferenceSession(str(k / "kokoro-v1.0.int8.onnx"), sess_options=options(spinning, threads or os.cpu_count()), providers=["CPUExecutionProvider"])
    with np.load(k / "voices_ja.npz") as z:
        style = z["jf_alpha"]
    vocab = json.loads((k / "vocab.json").read_text())["vocab"]
    phonemes = [kokoro_tts.to_kokoro(kokoro_tts.ipa(t, "en"), "en", vocab) for t in TEXTS]
    c0, t0, speech = cpu(), time.time(), 0.0
    for p in phonemes:
        tokens = [vocab[c] for c in p]
        audio = session.run(None, {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                                   "style": np.asarray(style[len(tokens) - 1], dtype=np.float32).reshape(1, 256),
                                   "speed": np.array([1.0], dtype=np.float32)})[0]
        speech += audio.size / kokoro_tts.SAMPLE_RATE
    return time.time() - t0, cpu() - c0, speech


def piper(spinning, threads=None):
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.voice import ESPEAK_DATA_DIR
    model = str(MODELS / "piper" / "en_US-joe-medium.onnx")
    config = PiperConfig.from_dict(json.loads(Path(model + ".json").read_text()))
    voice = PiperVoice(config=config, session=ort.InferenceSession(model, sess_options=options(spinning, threads), providers=["CPUExecutionProvider"]),
                       espeak_data_dir=Path(ESPEAK_DATA_DIR), download_dir=Path.cwd())
    c0, t0, samples = cpu(), time.time(), 0
    for text in TEXTS * 3:
        for chunk in voice.synthesize(text):
            samples += len(chunk.audio_int16_bytes) // 2
    return time.time() - t0, cpu() - c0, samples / config.sample_rate


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    for _ in range(rounds):
        for name, run in (("kokoro", kokoro), ("piper", piper)):
            for spinning in (True, False):
                wall, used, speech = run(spinning)
                print(f"{name:7} {'spinning' if spinning else 'asleep  '} wall {wall:6.1f} s  CPU {used:6.1f} s  speech {speech:5.1f} s  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
