"""The music bed taken out of the voice before a speaker embedding: spectral subtraction of the local non-speech
spectrum. Anime dialogue sits on a bed (music, ambience) that changes slowly against a line; the frames around a
line where the VAD hears no voice tell what the bed sounds like there, and that much power is taken off every
frequency bin of the line (keeping at least FLOOR of it, so nothing goes to zero and no "musical noise" holes open).

Why: on the Kokoro scenes (bed ~6 dB under the voices) CAM++ heard the classroom's two men as one voice on the mix
(3 speakers found for 4, 71 % of lines); with the bed subtracted the clusters come apart (94 %, festival 94 -> 100 %,
scripts/measure_diarization.py, docs/PERFORMANCE.md). Only the embeddings see the cleaned signal; the VAD and pitch
work on the source as it is.

Done in the STFT domain (32 ms Hann frames every 10 ms, overlap-add back): the same subtraction on the 80 mel
bands of the fbank lost the festival's fourth speaker (71-82 %), the bands are too coarse to leave the voice's
harmonics standing between the bed's.
"""
import numpy as np

RATE = 16000
N = 512
HOP = 160
ALPHA = 0.75       # times the bed's power taken off (0.5-1.0 give the same clusters on every fixture; 1.25 lost one)
SPAN_SEC = 3.0     # the bed is estimated from quiet frames within this distance
QUIET_PROB = 0.2   # a frame is bed only where the VAD is this sure there is no voice
FLOOR = 0.05       # of each bin's magnitude kept
BLOCK_SEC = 15.0   # processed a block at a time (an episode's STFT at once would take gigabytes)


def _block(pcm, quiet, alpha):
    n = 1 + (len(pcm) - N) // HOP
    win = np.hanning(N).astype(np.float32)
    idx = np.arange(N)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.fft.rfft(pcm[idx] * win, axis=1).astype(np.complex64)
    mag = np.abs(spec)
    q = quiet[:n]
    half = int(SPAN_SEC * RATE / HOP)
    power = np.concatenate([np.zeros((1, mag.shape[1]), np.float64), np.cumsum(np.where(q[:, None], mag.astype(np.float64) ** 2, 0.0), axis=0)])
    count = np.concatenate([[0], np.cumsum(q)])
    lo, hi = np.clip(np.arange(n) - half, 0, n), np.clip(np.arange(n) + half + 1, 0, n)
    bed = np.sqrt((power[hi] - power[lo]) / np.maximum(count[hi] - count[lo], 1)[:, None]).astype(np.float32)
    gain = np.maximum(1.0 - alpha * bed / np.maximum(mag, 1e-9), FLOOR)
    frames = np.fft.irfft(spec * gain, N, axis=1).astype(np.float32) * win
    out = np.zeros(len(pcm), np.float32)
    norm = np.zeros(len(pcm), np.float32)
    step = -(-N // HOP)  # frames this far apart do not overlap: add them with one assignment each
    for k in range(step):
        out[idx[k::step]] += frames[k::step]
        norm[idx[k::step]] += win ** 2
    return out / np.maximum(norm, 1e-3)


def subtract_bed(pcm, probs, frame_sec, alpha=ALPHA):
    """pcm (float, 16 kHz) with the local bed's power taken off; probs are the VAD's speech probabilities, one per
    frame_sec. Blocks of BLOCK_SEC with SPAN_SEC of context each side give what the whole file at once would."""
    if alpha <= 0 or len(pcm) < N:
        return pcm
    t = (np.arange(1 + (len(pcm) - N) // HOP) * HOP + N / 2) / RATE
    quiet_all = probs[np.minimum((t / frame_sec).astype(int), len(probs) - 1)] < QUIET_PROB
    out = np.zeros_like(pcm)
    block, ctx = int(BLOCK_SEC * RATE), int((SPAN_SEC + 0.1) * RATE) // HOP * HOP
    for b0 in range(0, len(pcm), block):
        s0 = max(0, b0 - ctx)
        s1 = min(len(pcm), b0 + block + ctx)
        if s1 - s0 < N:
            out[b0:b0 + block] = pcm[b0:b0 + block]
            continue
        cleaned = _block(pcm[s0:s1], quiet_all[s0 // HOP:], alpha)
        out[b0:min(len(pcm), b0 + block)] = cleaned[b0 - s0:b0 - s0 + min(block, len(pcm) - b0)]
    return out
