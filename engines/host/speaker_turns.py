"""Who speaks when, without torch: voice activity (Silero VAD, ./voice_activity.py) finds the voiced stretches;
stretches less than 0.2 s apart are joined into segments (a pause inside a line is not a reply: the issue's scenes
reply 0.3-0.6 s after the previous line), long segments are cut into equal pieces of at most 3 s, and each piece
gets a CAM++ speaker embedding (./speaker_embedding.py, numpy) of the audio with the music bed subtracted
(./bed_subtraction.py). Pieces are clustered agglomeratively on cosine distance (average linkage, weighted by
duration) until the closest clusters are further apart than a threshold, so the count of speakers is estimated, not
asked for; a few rounds of moving pieces to the nearest centre follow, and a cluster with under 4 s of speech in all
(or under 5 % of it, near another) is folded into the nearest other (one odd piece - a laugh, an effect VAD took
for speech - is not a character). Pieces too short for a stable embedding take the label of the line they sit in
(a long piece next to them) unless another cluster is clearly nearer.

Why pieces of whole segments and not the 1.5 s sliding windows of diarization recipes: on the Kokoro scenes
(music bed ~6 dB under the voices) embeddings of 1.5 s windows or of single VAD stretches scatter so much that no
threshold finds the cast (classroom 71 %, festival 47-59 % of lines), while whole lines separate cleanly
(scripts/measure_diarization.py --embedding).

  {"op": "speaker_turns", "model": VAD_ONNX, "embedding": CAMPP_NPZ, "audio": WAV, "threshold": 0.5,
   "minSilenceSec": 0.1, "minSpeechSec": 0.25, "padSec": 0.03, "underBedSure": 0.95, "underBedExtend": 0.9,
   "clusterDistance": 0.33, "bedSubtraction": 0.75}
  -> {"turns": [{"start", "end", "label", "f0"}...], "regions": [[start, end]...], "speakers": N, "durationSec": D}

scripts/measure_diarization.py measures it (speaker accuracy per scene, CPU time).
"""
import json

import numpy as np

import bed_subtraction as bed
import speaker_embedding as se
import voice_activity as va

RATE = va.RATE
HOP = 160  # 10 ms
JOIN_GAP_SEC = 0.2
MAX_PIECE_SEC = 3.0
MIN_PIECE_SEC = 0.8    # shorter pieces take the nearest cluster instead of voting (copies of one 0.7 s piece made a speaker of their own)
MIN_CLUSTER_SEC = 4.0  # (or half the speech, in a short clip)
MIN_CLUSTER_SHARE = 0.05  # of all the speech: under it a cluster near another (FOLD_DISTANCE) is folded in
FOLD_DISTANCE = 0.5
REFINE_ROUNDS = 5
NEIGHBOUR_SEC = 0.7    # a short piece this close to a long one is most likely the same line (replies come 0.3-0.6 s after)
SHORT_MARGIN = 0.2     # ...and takes its label unless another centre is this much nearer in cosine; None: nearest centre
CLUSTER_DISTANCE = 0.33  # cosine distance, on bed-subtracted pieces: 0.3-0.35 give the same clusters on every fixture (measure_diarization.py)


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


def in_blocks(fn, pcm, span, block=1500):
    """fn over the 10 ms frames of pcm, 15 s of frames at a time (an episode at once would take gigabytes)."""
    n = 1 + max(0, (len(pcm) - span) // HOP)
    parts = [fn(pcm[f * HOP:min(len(pcm), (f + block - 1) * HOP + span)]) for f in range(0, n, block)]
    return np.concatenate(parts) if parts else np.zeros(0)


def pieces_of(regions):
    """Stretches less than JOIN_GAP_SEC apart joined, then cut into equal pieces of at most MAX_PIECE_SEC."""
    segments = []
    for s, e in regions:
        if segments and s - segments[-1][1] < JOIN_GAP_SEC:
            segments[-1] = (segments[-1][0], e)
        else:
            segments.append((s, e))
    out = []
    for s, e in segments:
        k = max(1, int(np.ceil((e - s) / MAX_PIECE_SEC - 1e-9)))
        step = (e - s) / k
        out.extend((s + i * step, s + (i + 1) * step) for i in range(k))
    return out


def frame_spans(pieces, n_frames, quantum=25):
    """Each piece as (first fbank frame, frame count): 25 ms frames every 10 ms inside it, the count rounded down to
    a multiple of 0.25 s (the middle kept) so that pieces of about one length run as one batch."""
    spans = []
    for s, e in pieces:
        first = min(int(round(s * 100)), max(0, n_frames - 1))
        count = min(max(1, int(round((e - s) * 100)) - 2), n_frames - first)
        if count >= 2 * quantum:
            keep = count // quantum * quantum
            first, count = first + (count - keep) // 2, keep
        spans.append((first, count))
    return spans


def embeddings_for(model, pcm, pieces, check=None):
    """On one BLAS thread: the network's products are small, and a second thread spinning for its share cost 3x the
    CPU on this 2-core machine (0.7 against 2.2 CPU-s for 16 s of speech) for no gain in wall time under load."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        feats = se.fbank_blocks(pcm)
        if check:
            check()
        return se.embed(model, feats, frame_spans(pieces, len(feats)), check=check)


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


def centres_of(x, labels, size):
    ks = np.unique(labels)
    c = np.array([np.average(x[labels == k], axis=0, weights=size[labels == k]) for k in ks])
    return ks, c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-9)


def fold_small(labels, x, size, min_total):
    """Clusters with less than min_total seconds in all, or with less than MIN_CLUSTER_SHARE of the speech and a
    centre within FOLD_DISTANCE of another's, go, smallest first, to the nearest remaining centre. The share rule is
    for long inputs: there a handful of pieces of one voice that sit apart (a shout, one line's intonation) add up to
    more than min_total; on the 24.6-minute dialogue (two voices) they made 4 phantom speakers of 3-4 % each, while
    the scenes' characters each have over 20 % (a minor character in a voice of its own, further than FOLD_DISTANCE
    from everyone, keeps a cluster)."""
    labels = labels.copy()
    while True:
        ks = np.unique(labels)
        if len(ks) < 2:
            return labels
        totals = np.array([size[labels == k].sum() for k in ks])
        _, c = centres_of(x, labels, size)
        apart = 1.0 - c @ c.T
        np.fill_diagonal(apart, np.inf)
        minor = (totals < min_total) | ((totals < MIN_CLUSTER_SHARE * size.sum()) & (apart.min(axis=1) < FOLD_DISTANCE))
        if not minor.any():
            return labels
        small = ks[np.flatnonzero(minor)[np.argmin(totals[minor])]]
        rest = labels != small
        others, c = centres_of(x[rest], labels[rest], size[rest])
        idx = np.flatnonzero(~rest)
        labels[idx] = others[np.argmax(x[idx] @ c.T, axis=1)]


def short_labels(pieces, long, labels, emb, centres, ks):
    """Labels for the pieces too short to vote: the nearest centre by embedding, unless a long piece within
    NEIGHBOUR_SEC before or after (the same line, most likely) has a label whose centre is within SHORT_MARGIN of it.
    A 0.25 s "みて、" alone is as near to another voice as to its own (festival: two lines were cut mid-line by it)."""
    out = {}
    starts, ends = np.array([s for s, _ in pieces]), np.array([e for _, e in pieces])
    longs = np.flatnonzero(long)
    for i in np.flatnonzero(~long):
        sim = dict(zip(ks, emb[i] @ centres.T))
        best = max(sim, key=sim.get)
        before, after = longs[ends[longs] <= starts[i] + 1e-6], longs[starts[longs] >= ends[i] - 1e-6]
        near = [labels[j] for j, gap in ((before[-1], starts[i] - ends[before[-1]]) if len(before) else (None, np.inf),
                                          (after[0], starts[after[0]] - ends[i]) if len(after) else (None, np.inf)) if gap < NEIGHBOUR_SEC]
        if near:
            own = max(near, key=lambda k: sim[k])
            out[i] = best if sim[best] - sim[own] > SHORT_MARGIN else own
        else:
            out[i] = best
    return out


def cluster(emb, durations, threshold, log=None, pieces=None):
    """Labels per piece, numbered by first appearance: average linkage on cosine distance up to `threshold`, a few
    rounds of moving pieces to the nearest centre, small clusters folded in, and pieces too short for a stable
    embedding take the nearest centre's label."""
    long = durations >= MIN_PIECE_SEC
    if long.sum() < 2:
        return np.zeros(len(emb), int)
    xl, dl = emb[long], durations[long]
    chosen = cut_at(1.0 - xl @ xl.T, dl, threshold)
    for _ in range(REFINE_ROUNDS if chosen.max() > 0 else 0):
        ks, c = centres_of(xl, chosen, dl)
        moved = ks[np.argmax(xl @ c.T, axis=1)]
        if (moved == chosen).all():
            break
        chosen = moved
    chosen = fold_small(chosen, xl, dl, min(MIN_CLUSTER_SEC, 0.5 * dl.sum()))
    if log is not None:
        log.append({"pieces": int(long.sum()), "clusters": int(len(np.unique(chosen)))})
    labels = np.full(len(emb), -1)
    labels[long] = chosen
    short = np.flatnonzero(~long)
    if len(short):
        ks, c = centres_of(xl, chosen, dl)
        if pieces is None or SHORT_MARGIN is None:
            labels[short] = ks[np.argmax(emb[short] @ c.T, axis=1)]
        else:
            for i, lab in short_labels(pieces, long, labels, emb, c, ks).items():
                labels[i] = lab
    order = {}
    for lab in labels:
        order.setdefault(lab, len(order))
    return np.array([order[lab] for lab in labels])


def turns_of(pieces, labels, f0):
    """Pieces in order, neighbours of one label that touch merged; f0 is the turn's median pitch where voiced enough."""
    turns = []
    for (s, e), lab in zip(pieces, labels):
        label = f"V{lab + 1}"
        if turns and turns[-1]["label"] == label and abs(turns[-1]["end"] - s) < 1e-6:
            turns[-1]["end"] = e
        else:
            turns.append({"start": s, "end": e, "label": label})
    for t in turns:
        seg = f0[int(t["start"] * 100):int(t["end"] * 100)]
        voiced = seg[seg > 0]
        t["f0"] = round(float(np.median(voiced)), 1) if len(voiced) >= 5 else None
        t["start"], t["end"] = round(float(t["start"]), 3), round(float(t["end"]), 3)
    return turns


def speaker_turns(req, check=None):
    pcm = va.read_wav16k(req["audio"])
    # the transcript's speakers and the voices' speakers ask about the same WAV with the same settings
    settings = json.dumps({k: v for k, v in req.items() if k not in ("id", "op", "audio")}, sort_keys=True)
    return va.memoized(("speaker turns", settings, va.digest(pcm)), lambda: _speaker_turns(req, pcm, check))


def _speaker_turns(req, pcm, check=None):
    probs = va.speech_probabilities(req["model"], pcm, check)
    duration = len(pcm) / RATE
    # the bed is taken out for the voice prints (bed_subtraction.py: the classroom's two men came apart so) and for
    # the voice it masks (voice_activity.py); pitch works on the source as it is
    voice = bed.subtract_bed(pcm, probs, va.FRAME / RATE, float(req.get("bedSubtraction", bed.ALPHA)))
    regions, _ = va.voiced_regions(req, pcm, probs, check, voice)
    if not regions:
        return {"turns": [], "regions": [], "speakers": 0, "durationSec": round(duration, 3)}
    if check:
        check()
    model = se.load(req["embedding"])
    pieces = pieces_of(regions)
    emb = embeddings_for(model, voice, pieces, check)
    f0 = in_blocks(pitch_track, pcm, 512 + RATE // 60)
    splits = []
    labels = cluster(emb, np.array([e - s for s, e in pieces]), float(req.get("clusterDistance", CLUSTER_DISTANCE)), log=splits,
                     pieces=pieces)
    turns = turns_of(pieces, labels, f0)
    return {"turns": turns, "regions": regions, "speakers": int(labels.max() + 1), "splits": splits, "durationSec": round(duration, 3)}
