"""Voice activity: where a voice speaks in a 16 kHz mono WAV, by Silero VAD (its official ONNX file) on onnxruntime.

No torch: the model is a small stateful network fed 512-sample frames (32 ms) with 64 samples of context, and
the speech/silence decision is the one silero_vad.get_speech_timestamps makes (a threshold with hysteresis, short
gaps bridged, short blips dropped, a small pad). Music and effects under dialogue barely move its probability,
which is why line edges come from here rather than from the energy of the mix.

  {"op": "voice_activity", "model": ONNX, "audio": WAV, "threshold": 0.5, "minSilenceSec": 0.1,
   "minSpeechSec": 0.25, "padSec": 0.03, "endThreshold": 0.8, "endLagSec": 0.064}
  -> {"regions": [[start, end], ...], "frameSec": 0.032, "durationSec": D}

A stretch's end is not where Silero's decision lets go: its probability stays high for about three frames after
the voice stops (the network's memory), so those ends were 0.1-0.15 s late on all three inputs with a truth
(scripts/measureEdges.ts). The end is put where the probability last stood at END_THRESHOLD or more, less the
lag (END_LAG_SEC, measured on the same inputs); endThreshold null keeps Silero's own end.
"""
import os
import wave

import numpy as np

RATE = 16000
FRAME = 512
CONTEXT = 64

# Measured on the dialogue fixture and the two scenes (docs/PERFORMANCE.md, "Line edges"): with these, the median
# end error is within ±25 ms on each input instead of +94 to +145 ms.
END_THRESHOLD = 0.8
END_LAG_SEC = 0.064

_sessions = {}


class VadModelMissing(Exception):
    pass


def read_wav16k(path):
    """Mono 16-bit PCM at 16 kHz as float32 in [-1, 1] (the job's analysis WAV is written so)."""
    with wave.open(path, "rb") as w:
        if w.getframerate() != RATE or w.getsampwidth() != 2:
            raise ValueError(f"{os.path.basename(path)} is not 16-bit 16 kHz PCM ({w.getframerate()} Hz, {8 * w.getsampwidth()}-bit)")
        raw = w.readframes(w.getnframes())
        channels = w.getnchannels()
    pcm = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    return pcm


def session(model):
    if model not in _sessions:
        if not os.path.isfile(model):
            raise VadModelMissing(f"no Silero VAD model at {model}")
        import onnxruntime
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        _sessions[model] = onnxruntime.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
    return _sessions[model]


def speech_probabilities(model, pcm, check=None):
    """One probability per 32 ms frame. Long audio runs as a few parallel streams (the batch axis), each started
    2 s early so its state has settled by the frame it answers for."""
    sess = session(model)
    n = (len(pcm) + FRAME - 1) // FRAME
    padded = np.zeros(n * FRAME + CONTEXT, np.float32)
    padded[CONTEXT:CONTEXT + len(pcm)] = pcm
    warm = int(2.0 * RATE / FRAME)
    streams = max(1, min(16, n // 2000))
    per = (n + streams - 1) // streams
    starts = [k * per for k in range(streams)]
    lead = [min(warm, s) for s in starts]
    steps = per + max(lead)
    probs = np.zeros(n, np.float32)
    state = np.zeros((2, streams, 128), np.float32)
    sr = np.array(RATE, dtype=np.int64)
    x = np.zeros((streams, FRAME + CONTEXT), np.float32)
    for step in range(steps):
        if check and step % 500 == 0:
            check()
        for k in range(streams):
            f = starts[k] - max(lead) + step  # frames before a stream's own lead are silence
            x[k] = padded[f * FRAME:f * FRAME + FRAME + CONTEXT] if 0 <= f < n and f >= starts[k] - lead[k] else 0.0
        out, state = sess.run(None, {"input": x, "state": state, "sr": sr})
        for k in range(streams):
            f = starts[k] - max(lead) + step
            if starts[k] <= f < min(n, starts[k] + per):
                probs[f] = out[k, 0]
    return probs


def tight_end(probs, start, end, end_threshold, end_lag):
    """Where the voice of the stretch [start, end) stopped: the last frame at end_threshold or more, less the lag of
    the probability behind the voice; never before the stretch's first frame ends."""
    step = FRAME / RATE
    first, last = int(round(start / step)), min(len(probs), int(round(end / step)))
    confident = np.flatnonzero(probs[first:last] >= end_threshold)
    if len(confident) == 0:
        return end
    return max(start + step, (first + confident[-1] + 1) * step - end_lag)


def regions_from(probs, threshold=0.5, min_silence=0.1, min_speech=0.25, pad=0.03, duration=None,
                 end_threshold=END_THRESHOLD, end_lag=END_LAG_SEC):
    """silero_vad.get_speech_timestamps' decision over frame probabilities, in seconds; ends tightened (tight_end)
    unless end_threshold is None."""
    step = FRAME / RATE
    low = max(threshold - 0.15, 0.01)
    regions = []
    start = None
    silent_since = None
    for i, p in enumerate(probs):
        t = i * step
        if p >= threshold:
            silent_since = None
            if start is None:
                start = t
        elif start is not None and p < low:
            if silent_since is None:
                silent_since = t
            if t + step - silent_since >= min_silence:
                regions.append([start, silent_since])
                start, silent_since = None, None
    end_all = len(probs) * step if duration is None else duration
    if start is not None:
        regions.append([start, silent_since if silent_since is not None else end_all])
    regions = [r for r in regions if r[1] - r[0] >= min_speech]
    out = []
    for s, e in regions:
        padded = e + pad
        if end_threshold is not None:
            padded = min(padded, tight_end(probs, s, e, end_threshold, end_lag))
        s, e = max(0.0, s - pad), min(end_all, padded)
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [[round(s, 3), round(e, 3)] for s, e in out]


def voice_activity(req, check=None):
    pcm = read_wav16k(req["audio"])
    probs = speech_probabilities(req["model"], pcm, check)
    duration = len(pcm) / RATE
    end_threshold = req.get("endThreshold", END_THRESHOLD)
    regions = regions_from(probs, float(req.get("threshold", 0.5)), float(req.get("minSilenceSec", 0.1)),
                           float(req.get("minSpeechSec", 0.25)), float(req.get("padSec", 0.03)), duration,
                           None if end_threshold is None else float(end_threshold), float(req.get("endLagSec", END_LAG_SEC)))
    return {"regions": regions, "frameSec": FRAME / RATE, "durationSec": round(duration, 3)}
