"""Who speaks when, without torch: voice activity (Silero VAD, ./voice_activity.py) cuts the audio into voiced
stretches (long ones into pieces of at most 4 s); each gets a voice print made of numbers anyone can compute (mean
and spread of its MFCCs with the local background's spectrum taken out, its mean log-mel shape, the median and range
of its pitch by YIN); the prints are clustered agglomeratively (average linkage, weighted by duration) until the
closest clusters are further apart than a threshold, so the count of speakers is estimated, not asked for.
Stretches too short for a stable print take the nearest cluster.

  {"op": "speaker_turns", "model": VAD_ONNX, "audio": WAV, "threshold": 0.5, "minSilenceSec": 0.1,
   "minSpeechSec": 0.25, "padSec": 0.03, "clusterDistance": 2.5}
  -> {"turns": [{"start", "end", "label", "f0"}...], "regions": [[start, end]...], "speakers": N, "durationSec": D}

Distances are in units of how much a print varies within one speaker (WITHIN_SPREAD, measured), not of the file's
own spread: a scene with one speaker must be able to come out as one speaker.
scripts/measure_diarization.py measures it (speaker accuracy per scene, CPU time).
"""
import numpy as np

import voice_activity as va

RATE = va.RATE
WIN = 400  # 25 ms
HOP = 160  # 10 ms
NFFT = 512
N_MELS = 40
N_MFCC = 20
MIN_PRINT_SEC = 0.6   # shorter stretches take the nearest cluster instead of voting
MAX_PIECE_SEC = 4.0   # long stretches are printed in pieces: one speaker's reply can follow another's with no pause VAD sees
F0_WEIGHT = 3.0      # pitch is what a listener tells characters apart by first


def mel_filters():
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    pts = mel_to_hz(np.linspace(hz_to_mel(60.0), hz_to_mel(7600.0), N_MELS + 2))
    bins = np.floor((NFFT + 1) * pts / RATE).astype(int)
    fb = np.zeros((N_MELS, NFFT // 2 + 1), np.float32)
    for m in range(1, N_MELS + 1):
        a, b, c = bins[m - 1], bins[m], bins[m + 1]
        for k in range(a, b):
            fb[m - 1, k] = (k - a) / max(1, b - a)
        for k in range(b, c):
            fb[m - 1, k] = (c - k) / max(1, c - b)
    return fb


_FB = mel_filters()
_DCT = np.cos(np.pi / N_MELS * (np.arange(N_MELS) + 0.5)[None, :] * np.arange(N_MFCC)[:, None]).astype(np.float32)


def frames(pcm):
    n = 1 + max(0, (len(pcm) - WIN) // HOP)
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    return pcm[idx] * np.hamming(WIN).astype(np.float32)


def mel_power(pcm):
    spec = np.abs(np.fft.rfft(frames(pcm), NFFT)) ** 2
    return spec @ _FB.T  # (frames, mels)


def pitch_track(pcm):
    """Per 10 ms frame: F0 in Hz where clearly voiced, else 0. YIN (de Cheveigné & Kawahara 2002): the first dip of
    the cumulative-mean-normalised difference below 0.15 between 60 and 500 Hz, so a period's double (an octave
    too low) is not taken for it."""
    win = 512
    lo, hi = RATE // 500, RATE // 60
    span = win + hi
    n = 1 + max(0, (len(pcm) - span) // HOP)
    if len(pcm) < span:
        return np.zeros(0)
    idx = np.arange(span)[None, :] + HOP * np.arange(n)[:, None]
    x = pcm[idx].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(span + win)))
    # r(tau) = sum_{j<win} x[j] x[j+tau], for all tau at once
    r = np.fft.irfft(np.conj(np.fft.rfft(x[:, :win], size)) * np.fft.rfft(x, size), size)[:, :hi + 1]
    sq = np.concatenate([np.zeros((n, 1)), np.cumsum(x ** 2, axis=1)], axis=1)
    taus = np.arange(hi + 1)
    energy = sq[:, taus + win] - sq[:, taus]  # sum_{j<win} x[j+tau]^2
    d = energy[:, :1] + energy - 2 * r
    d[:, 0] = 0
    cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, hi + 1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)
    seg = cmnd[:, lo:hi + 1]
    below = seg < 0.15
    first = np.where(below.any(axis=1), below.argmax(axis=1), -1)
    f0 = np.zeros(n)
    for i in np.flatnonzero(first >= 0):
        k = first[i]
        while k + 1 < seg.shape[1] and seg[i, k + 1] < seg[i, k]:
            k += 1  # down to the bottom of the dip
        f0[i] = RATE / (k + lo)
    loud = sq[:, win] > 1e-4 * win
    return np.where(loud, f0, 0.0)


def voice_print(mel, f0):
    logmel = np.log(mel + 1e-6)
    mfcc = logmel @ _DCT.T
    shape = logmel - logmel.mean(axis=1, keepdims=True)
    voiced = f0[f0 > 0]
    lf0 = np.log(voiced) if len(voiced) >= 5 else np.array([np.nan])
    return np.concatenate([
        mfcc[:, 1:].mean(axis=0), mfcc[:, 1:].std(axis=0), shape.mean(axis=0),
        [np.nanmedian(lf0), np.nanpercentile(lf0, 90) - np.nanpercentile(lf0, 10) if len(voiced) >= 5 else np.nan],
    ])


def weights(dim):
    """MFCC means count fully, spreads and log-mel shape half (they repeat much of the same), pitch heavily:
    pitch is what a listener tells characters apart by first."""
    n = N_MFCC - 1
    w = np.concatenate([np.ones(n), 0.5 * np.ones(n), 0.5 * np.ones(N_MELS) * (n / N_MELS), [F0_WEIGHT, F0_WEIGHT / 6]])
    assert len(w) == dim
    return w / np.sqrt((w ** 2).sum() / dim)


def pieces_of(regions):
    out = []
    for s, e in regions:
        k = max(1, int(np.ceil((e - s) / MAX_PIECE_SEC)))
        step = (e - s) / k
        out.extend([[s + i * step, s + (i + 1) * step] for i in range(k)])
    return out


def in_blocks(fn, pcm, span, block=1500):
    """fn over the 10 ms frames of pcm, 15 s of frames at a time (an episode at once would take gigabytes)."""
    n = 1 + max(0, (len(pcm) - span) // HOP)
    parts = [fn(pcm[f * HOP:min(len(pcm), (f + block - 1) * HOP + span)]) for f in range(0, n, block)]
    return np.concatenate(parts) if parts else np.zeros(0)


def prints_for(pcm, regions, pieces):
    mel = in_blocks(mel_power, pcm, WIN)
    f0 = in_blocks(pitch_track, pcm, 512 + RATE // 60)
    n = len(mel)
    speech = np.zeros(n, bool)
    for s, e in regions:
        speech[int(s * 100):int(e * 100) + 1] = True
    out = []
    for s, e in pieces:
        a, b = int(s * 100), max(int(s * 100) + 1, min(n, int(e * 100)))
        # The background here: the non-speech frames within 4 s, its median power taken out of the piece.
        lo, hi = max(0, a - 400), min(n, b + 400)
        quiet = mel[lo:hi][~speech[lo:hi]]
        bg = np.median(quiet, axis=0) if len(quiet) >= 20 else np.zeros(N_MELS)
        m = mel[a:b]
        clean = np.maximum(m - bg, 0.05 * m)
        out.append(voice_print(clean, f0[a:min(b, len(f0))]))
    return np.array(out)


def distances(x):
    return distances_to(x, x)


def cut_at(d, size, threshold):
    """Agglomerative clustering (average linkage, each member weighted by its duration) until the two closest
    clusters are further apart than the threshold. Returns a label per row."""
    n = len(d)
    members = [[i] for i in range(n)]
    weight = size.astype(float).copy()
    alive = np.ones(n, bool)
    dd = d.copy()
    np.fill_diagonal(dd, np.inf)
    while alive.sum() > 1:
        i, j = np.unravel_index(np.argmin(dd), dd.shape)
        if dd[i, j] > threshold:
            break
        wi, wj = weight[i], weight[j]
        row = (dd[i, :] * wi + dd[j, :] * wj) / (wi + wj)
        row[~alive] = np.inf
        dd[i, :] = row
        dd[:, i] = row
        dd[i, i] = np.inf
        weight[i] = wi + wj
        members[i] += members[j]
        alive[j] = False
        dd[j, :] = np.inf
        dd[:, j] = np.inf
    labels = np.zeros(n, int)
    for k, i in enumerate(np.flatnonzero(alive)):
        labels[members[i]] = k
    return labels


def refine(x, labels, size, rounds=5):
    """A few rounds of moving each stretch to the nearest cluster centre (average linkage's early merges are
    never undone otherwise)."""
    for _ in range(rounds):
        ks = np.unique(labels)
        centres = np.array([np.average(x[labels == k], axis=0, weights=size[labels == k]) for k in ks])
        moved = ks[np.argmin(distances_to(x, centres), axis=1)]
        if (moved == labels).all():
            break
        labels = moved
    return labels


def distances_to(x, centres):
    """RMS difference of every row of x to every centre (through the Gram matrix: no rows × centres × dims array)."""
    sq = (x ** 2).sum(axis=1)[:, None] + (centres ** 2).sum(axis=1)[None, :] - 2 * x @ centres.T
    return np.sqrt(np.maximum(sq, 0) / x.shape[1])


# How much each number of a voice print varies within one speaker's stretches (pooled standard deviation over the
# labelled stretches of Kokoro scenes: test/fixtures/ja/dialogue and the issue-25 classroom scene, plus two made
# while tuning; scripts/measure_diarization.py --spreads prints them).
# Distances are taken in these units, so the threshold means the same in a scene of one speaker as of five.
WITHIN_SPREAD = np.array([4.942, 6.891, 4.155, 2.983, 3.510, 2.640, 1.874, 1.511, 1.557, 1.921, 2.245, 2.980, 1.944, 2.965, 2.919, 3.455, 3.616, 3.167, 3.026, 5.773, 3.123, 3.016, 1.949, 1.769, 1.274, 1.013, 1.092, 0.873, 0.892, 0.807, 1.077, 0.932, 1.145, 1.233, 1.748, 1.413, 1.315, 1.212, 0.914, 1.629, 0.639, 0.507, 0.771, 0.887, 0.642, 0.543, 0.648, 0.864, 0.919, 0.617, 0.716, 0.356, 0.325, 0.548, 0.827, 0.611, 0.567, 0.755, 0.702, 0.628, 0.590, 0.572, 0.374, 0.369, 0.263, 0.269, 0.254, 0.236, 0.241, 0.229, 0.236, 0.224, 0.246, 0.270, 0.268, 0.272, 0.289, 0.305, 0.114, 0.213])


def cluster(prints, durations, threshold, log=None):
    """Labels per stretch, numbered by first appearance: average linkage up to `threshold` (in within-speaker
    spreads), a few rounds of moving stretches to the nearest centre, and stretches too short for a stable print
    take the nearest cluster's label."""
    x = np.nan_to_num((prints - np.nanmean(prints, axis=0)) / WITHIN_SPREAD) * weights(prints.shape[1])
    long = durations >= MIN_PRINT_SEC
    if long.sum() < 2:
        return np.zeros(len(x), int)
    xl, dl = x[long], durations[long]
    d = distances(xl)
    chosen = cut_at(d, dl, threshold)
    if chosen.max() > 0:
        chosen = refine(xl, chosen, dl)
    if log is not None:
        log.append({"stretches": int(long.sum()), "clusters": int(len(np.unique(chosen)))})
    labels = np.full(len(x), -1)
    labels[long] = chosen
    short = np.flatnonzero(~long)
    if len(short):
        ks = np.unique(chosen)
        centres = np.array([np.average(xl[chosen == k], axis=0, weights=dl[chosen == k]) for k in ks])
        labels[short] = ks[np.argmin(distances_to(x[short], centres), axis=1)]
    order = {}
    for lab in labels:
        order.setdefault(lab, len(order))
    return np.array([order[lab] for lab in labels])


def speaker_turns(req, check=None):
    pcm = va.read_wav16k(req["audio"])
    probs = va.speech_probabilities(req["model"], pcm, check)
    duration = len(pcm) / RATE
    regions = va.regions_from(probs, float(req.get("threshold", 0.5)), float(req.get("minSilenceSec", 0.1)),
                              float(req.get("minSpeechSec", 0.25)), float(req.get("padSec", 0.03)), duration)
    if not regions:
        return {"turns": [], "regions": [], "speakers": 0, "durationSec": round(duration, 3)}
    if check:
        check()
    pieces = pieces_of(regions)
    prints = prints_for(pcm, regions, pieces)
    durations = np.array([e - s for s, e in pieces])
    splits = []
    labels = cluster(prints, durations, float(req.get("clusterDistance", 2.5)), log=splits)
    turns = []
    for (s, e), lab, p in zip(pieces, labels, prints):
        f0 = float(np.exp(p[-2])) if not np.isnan(p[-2]) else None
        label = f"V{lab + 1}"
        if turns and turns[-1]["label"] == label and abs(turns[-1]["end"] - s) < 1e-6:
            turns[-1]["end"] = round(e, 3)
        else:
            turns.append({"start": round(s, 3), "end": round(e, 3), "label": label, "f0": None if f0 is None else round(f0, 1)})
    return {"turns": turns, "regions": regions, "speakers": int(labels.max() + 1), "splits": splits, "durationSec": round(duration, 3)}
