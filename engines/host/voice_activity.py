"""Voice activity: where a voice speaks in a 16 kHz mono WAV, by Silero VAD (its official ONNX file) on onnxruntime.

No torch: the model is a small stateful network fed 512-sample frames (32 ms) with 64 samples of context, and
the speech/silence decision is the one silero_vad.get_speech_timestamps makes (a threshold with hysteresis, short
gaps bridged, short blips dropped, a small pad). Music and effects under dialogue barely move its probability,
which is why line edges come from here rather than from the energy of the mix.

  {"op": "voice_activity", "model": ONNX, "audio": WAV, "threshold": 0.5, "minSilenceSec": 0.1,
   "minSpeechSec": 0.25, "padSec": 0.03, "endThreshold": 0.8, "endLagSec": 0.064,
   "underBedSure": 0.95, "underBedExtend": 0.9}
  -> {"regions": [[start, end], ...], "frameSec": 0.032, "durationSec": D}

A stretch's end is not where Silero's decision lets go: its probability stays high for about three frames after
the voice stops (the network's memory), so those ends were 0.1-0.15 s late on all three inputs with a truth
(scripts/measureEdges.ts). The end is put where the probability last stood at END_THRESHOLD or more, less the
lag (END_LAG_SEC, measured on the same inputs); endThreshold null keeps Silero's own end.

A voice the music bed masks: under the festival scene's bed Silero heard nothing of a high voice's first 1.5 s
(p <= 0.33) and voiced another line 0.22 s late, and it missed the classroom's whispered line altogether. With the
local bed's power subtracted (./bed_subtraction.py) the same network hears them (p 0.75-1.0), but it also takes the
title chime and a drum for speech (p 0.7-0.87). So the source's stretches stay, and the bed-subtracted signal
(underBedSure / underBedExtend, null: off) only adds what it is sure of: a stretch of its own, touching none of the
source's, where its probability reaches 0.95 somewhere, and each stretch's start moved back over the frames just
before it where it stands at 0.9 or more. Measured by scripts/measureEdges.ts (docs/PERFORMANCE.md, "voice under
the bed"): VAD onsets within ±200 ms of the true line 15 -> 17 of 17 (festival), 16 -> 17 of 17 (classroom), the
dialogues unchanged; 0.9-0.95 for either gives the same.
"""
import hashlib
import os
import wave
from collections import OrderedDict

import bed_subtraction as bed
import numpy as np

RATE = 16000
FRAME = 512
CONTEXT = 64

# Measured on the dialogue fixture and the two scenes (docs/PERFORMANCE.md, "Line edges"): with these, the median
# end error is within ±25 ms on each input instead of +94 to +145 ms.
END_THRESHOLD = 0.8
END_LAG_SEC = 0.064
UNDER_BED_SURE = 0.95
UNDER_BED_EXTEND = 0.9

_sessions = {}
# A job asks about the same WAV up to three times (where Whisper begins, the transcript's speakers, the voices'
# speakers): what was worked out for its samples is kept for the next ask. Keys hold a digest of the samples, so
# another file with the same samples hits and a rewritten one does not.
_memo = OrderedDict()
MEMO_SIZE = 8


def digest(pcm):
    return hashlib.blake2b(np.ascontiguousarray(pcm).tobytes(), digest_size=16).hexdigest()


def memoized(key, make):
    """make()'s value, kept under key among the last MEMO_SIZE (values are treated as read-only by every caller)."""
    if key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    value = make()
    _memo[key] = value
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return value


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
        from onnx_options import cpu_session
        _sessions[model] = cpu_session(onnxruntime, model, opts)
    return _sessions[model]


def speech_probabilities(model, pcm, check=None):
    """One probability per 32 ms frame (kept for the next ask about the same samples)."""
    return memoized((model, "speech", digest(pcm)), lambda: _speech_probabilities(model, pcm, check))


def _speech_probabilities(model, pcm, check=None):
    """Long audio runs as a few parallel streams (the batch axis), each started 2 s early so its state has settled
    by the frame it answers for."""
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


def with_voice_under_bed(regions, clean_regions, clean_probs, sure, extend, pad, min_silence):
    """The source's stretches, each started earlier over the frames just before it where the bed-subtracted signal's
    probability is at least `extend` (min_silence short of the stretch before: two stretches stay two), plus the
    bed-subtracted signal's own stretches that touch none of the source's and reach `sure` somewhere (module doc)."""
    step = FRAME / RATE
    out = []
    for k, (s, e) in enumerate(regions):
        floor = regions[k - 1][1] + min_silence if k else 0.0
        j = int(round((s + pad) / step)) if s > 0 else 0
        while j > 0 and (j - 1) * step >= floor and clean_probs[j - 1] >= extend:
            j -= 1
        out.append([max(floor, min(s, j * step - pad)), e])
    for s, e in clean_regions:
        touches = any(a < e and s < b for a, b in regions)
        if not touches and clean_probs[int(s / step):int(e / step) + 1].max(initial=0.0) >= sure:
            out.append([s, e])
    out.sort()
    merged = []
    for s, e in out:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [[round(s, 3), round(e, 3)] for s, e in merged]


def voiced_regions(req, pcm, probs, check=None, voice=None):
    """The request's voiced stretches of pcm (probs: Silero's on it), with the voice under the bed added unless
    underBedSure is null; `voice` is the bed-subtracted pcm when the caller has it. Returns (regions, voice)."""
    duration = len(pcm) / RATE
    end_threshold = req.get("endThreshold", END_THRESHOLD)
    args = (float(req.get("threshold", 0.5)), float(req.get("minSilenceSec", 0.1)), float(req.get("minSpeechSec", 0.25)),
            float(req.get("padSec", 0.03)), duration, None if end_threshold is None else float(end_threshold),
            float(req.get("endLagSec", END_LAG_SEC)))
    regions = regions_from(probs, *args)
    sure = req.get("underBedSure", UNDER_BED_SURE)
    if sure is None or len(pcm) == 0:
        return regions, voice
    alpha = float(req.get("bedSubtraction", bed.ALPHA))

    def under_bed():
        cleaned = voice if voice is not None else bed.subtract_bed(pcm, probs, FRAME / RATE, alpha)
        if check:
            check()
        return _speech_probabilities(req["model"], cleaned, check)
    # keyed by the source's samples: a second ask skips the bed subtraction too
    clean_probs = memoized((req["model"], "under bed", alpha, digest(pcm)), under_bed)
    regions = with_voice_under_bed(regions, regions_from(clean_probs, *args), clean_probs, float(sure),
                                   float(req.get("underBedExtend", UNDER_BED_EXTEND)), args[3], args[1])
    return regions, voice


def voice_activity(req, check=None):
    pcm = read_wav16k(req["audio"])
    probs = speech_probabilities(req["model"], pcm, check)
    regions, _ = voiced_regions(req, pcm, probs, check)
    return {"regions": regions, "frameSec": FRAME / RATE, "durationSec": round(len(pcm) / RATE, 3)}
