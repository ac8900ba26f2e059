"""A speaker embedding without torch: CAM++ (3D-Speaker's speech_campplus_sv_zh_en_16k-common_advanced, Apache-2.0),
its official weights converted once to an .npz by scripts/convert_campplus.py, run here in numpy.

Input is what CAM++ was trained on: Kaldi fbank, 80 mel bins, 25 ms frames every 10 ms, povey window, pre-emphasis
0.97, no dither, each utterance's mean taken out. Output: a 192-number embedding per utterance; two stretches of
the same voice have a high cosine, two voices a low one (scripts/measure_diarization.py --embedding measures it).

The network (3D-Speaker speakerlab/models/campplus/DTDNN.py, eval mode): a 2-D residual front end over
(frequency, time) folds 80 bins into 320 channels; a strided TDNN; three densely connected blocks of
context-aware-masked TDNN layers (12, 24 and 16 layers, each adding 32 channels) with halving transitions;
mean + standard deviation pooling over time; a linear layer to 192 with a non-affine batch norm.
"""
import os

import numpy as np

RATE = 16000
EPS = 1e-5  # BatchNorm's
_models = {}


class EmbeddingModelMissing(Exception):
    pass


# --- Kaldi fbank (the compliance implementation's defaults, as 3D-Speaker calls it) -------------------------------

FRAME = 400
SHIFT = 160
NFFT = 512
N_MELS = 80


def _kaldi_mel_banks():
    def mel(f):
        return 1127.0 * np.log(1.0 + f / 700.0)
    low, high = mel(20.0), mel(RATE / 2)
    delta = (high - low) / (N_MELS + 1)
    centres = np.arange(N_MELS + 2) * delta + low
    bins = mel(np.arange(NFFT // 2) * RATE / NFFT)  # Kaldi leaves the Nyquist bin out
    left, centre, right = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    up = (bins - left) / (centre - left)
    down = (right - bins) / (right - centre)
    fb = np.maximum(0.0, np.minimum(up, down))
    return np.pad(fb, ((0, 0), (0, 1))).astype(np.float32)  # (mels, NFFT/2 + 1)


_BANKS = _kaldi_mel_banks()
_POVEY = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / (FRAME - 1))) ** 0.85


def fbank(pcm, normalise=True):
    """(frames, 80) log mel energies of float PCM in [-1, 1], frame i starting at sample 160 i; mean-normalised
    over the utterance unless asked not to."""
    if len(pcm) < FRAME:
        pcm = np.pad(pcm, (0, FRAME - len(pcm)))
    n = 1 + (len(pcm) - FRAME) // SHIFT  # snip_edges: only whole frames
    idx = np.arange(FRAME)[None, :] + SHIFT * np.arange(n)[:, None]
    x = pcm[idx].astype(np.float64)  # in [-1, 1], as torchaudio.load gave it in training
    x -= x.mean(axis=1, keepdims=True)
    x = np.concatenate([x[:, :1] * (1 - 0.97), x[:, 1:] - 0.97 * x[:, :-1]], axis=1)
    power = np.abs(np.fft.rfft(x * _POVEY, NFFT)) ** 2
    feats = np.log(np.maximum(power.astype(np.float32) @ _BANKS.T, np.finfo(np.float32).eps))
    return feats - feats.mean(axis=0, keepdims=True) if normalise else feats


def fbank_blocks(pcm, block=6000):
    """fbank(pcm, normalise=False) a minute at a time (an episode at once would take gigabytes)."""
    n = 1 + max(0, (len(pcm) - FRAME) // SHIFT)
    parts = [fbank(pcm[f * SHIFT:min(len(pcm), (f + block - 1) * SHIFT + FRAME)], normalise=False)[:min(block, n - f)]
             for f in range(0, n, block)]
    return np.concatenate(parts) if parts else np.zeros((0, N_MELS), np.float32)


# --- the network ---------------------------------------------------------------------------------------------------

def load(path):
    """The converted weights, once per process (engines/speakerEmbedding.ts has checked their SHA-256)."""
    if path not in _models:
        if not os.path.isfile(path):
            raise EmbeddingModelMissing(f"no CAM++ speaker-embedding weights at {path}")
        with np.load(path) as z:
            _models[path] = CamPlus({k: z[k] for k in z.files})
    return _models[path]


class CamPlus:
    """Eval-mode forward. Activations are laid out (channels, batch, time) so every convolution is one matrix product
    over all utterances and frames: the taps of a kernel are stacked as extra output rows and their products added
    back shifted (cheaper than copying the input once per tap)."""

    def __init__(self, w):
        self.w = {k: v.astype(np.float32) for k, v in w.items()}
        self.bn = {}
        for k in w:
            if k.endswith(".running_mean"):
                p = k[:-len(".running_mean")]
                scale = 1.0 / np.sqrt(w[p + ".running_var"].astype(np.float64) + EPS)
                if p + ".weight" in w:
                    scale = scale * w[p + ".weight"]
                shift = (w[p + ".bias"] if p + ".bias" in w else 0.0) - w[k] * scale
                self.bn[p] = (scale.astype(np.float32), np.asarray(shift, np.float32))
        # 1-D kernels' taps stacked as rows: (k * out, in)
        self.taps = {}
        for k, v in self.w.items():
            if k.endswith("weight") and v.ndim == 3:
                self.taps[k] = np.ascontiguousarray(np.concatenate([v[:, :, i] for i in range(v.shape[2])]))
        self.blocks = [sum(1 for k in w if k.startswith(f"xvector.block{b}.") and k.endswith(".nonlinear1.batchnorm.running_mean"))
                       for b in (1, 2, 3)]

    def _bn(self, p, x, relu=True):
        scale, shift = self.bn[p]
        shape = (-1,) + (1,) * (x.ndim - 1)
        y = x * scale.reshape(shape)
        y += shift.reshape(shape)
        return np.maximum(y, 0, out=y) if relu else y

    def _conv2d(self, x, p, stride):
        """3x3 (padding 1) or 1x1 convolution over (channels, batch, freq, time), stride along frequency only: the
        input's nine shifted views stacked (only at the output's rows), then one matrix product."""
        w = self.w[p]
        o, c, k, _ = w.shape
        _, b, f, t = x.shape
        fo = (f - 1) // stride + 1
        if k == 1:
            return (w[:, :, 0, 0] @ x[:, :, ::stride].reshape(c, -1)).reshape(o, b, fo, t)
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = np.empty((c, k * k, b, fo, t), np.float32)
        for i in range(k):
            for j in range(k):
                cols[:, i * k + j] = xp[:, :, i:i + stride * (fo - 1) + 1:stride, j:j + t]
        return (w.reshape(o, c * k * k) @ cols.reshape(c * k * k, -1)).reshape(o, b, fo, t)

    def _conv1d(self, x, p, dilation=1, stride=1):
        """Over (channels, batch, time), 'same' padding."""
        w = self.taps[p + ".weight"]
        c, b, t = x.shape
        k = self.w[p + ".weight"].shape[-1]
        o = w.shape[0] // k
        if k == 1:
            out = (w @ x.reshape(c, -1)).reshape(o, b, t)
        else:
            pad = (k - 1) // 2 * dilation
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
            z = (w @ xp.reshape(c, -1)).reshape(k, o, b, t + 2 * pad)
            to = (t - 1) // stride + 1
            out = z[0, :, :, 0:stride * (to - 1) + 1:stride].copy()
            for i in range(1, k):
                out += z[i, :, :, i * dilation:i * dilation + stride * (to - 1) + 1:stride]
        bias = self.w.get(p + ".bias")
        if bias is not None:
            out += bias[:, None, None]
        return out

    def _res_block(self, x, p, stride):
        out = self._bn(p + ".bn1", self._conv2d(x, p + ".conv1.weight", stride))
        out = self._bn(p + ".bn2", self._conv2d(out, p + ".conv2.weight", 1), relu=False)
        if p + ".shortcut.0.weight" in self.w:
            x = self._bn(p + ".shortcut.1", self._conv2d(x, p + ".shortcut.0.weight", stride), relu=False)
        out += x
        return np.maximum(out, 0, out=out)

    def _cam_layer(self, x, p, dilation):
        h = self._conv1d(self._bn(p + ".nonlinear1.batchnorm", x), p + ".linear1")
        h = self._bn(p + ".nonlinear2.batchnorm", h)
        y = self._conv1d(h, p + ".cam_layer.linear_local", dilation=dilation)
        # The mask's context: the utterance mean plus the mean of the 100-frame segment each frame lies in, so
        # the mask is computed once per segment and repeated over its frames.
        c, b, t = h.shape
        segs = -(-t // 100)
        padded = np.pad(h, ((0, 0), (0, 0), (0, segs * 100 - t))) if segs * 100 != t else h
        counts = np.minimum(100, t - 100 * np.arange(segs)).astype(np.float32)
        context = padded.reshape(c, b, segs, 100).sum(axis=-1) / counts + h.mean(axis=-1, keepdims=True)
        m = np.maximum(self._conv1d(context, p + ".cam_layer.linear1"), 0)
        m = self._conv1d(m, p + ".cam_layer.linear2")
        m = 1.0 / (1.0 + np.exp(-m))
        y *= np.repeat(m, 100, axis=-1)[..., :t]
        return y

    def __call__(self, feats):
        """feats: (batch, frames, 80) mean-normalised fbank, all of one length -> (batch, 192)."""
        x = np.ascontiguousarray(np.transpose(feats, (0, 2, 1))[None].astype(np.float32))  # (1, batch, 80, frames)
        x = self._bn("head.bn1", self._conv2d(x, "head.conv1.weight", 1))
        for layer in ("layer1", "layer2"):
            x = self._res_block(x, f"head.{layer}.0", 2)
            x = self._res_block(x, f"head.{layer}.1", 1)
        x = self._bn("head.bn2", self._conv2d(x, "head.conv2.weight", 2))
        c, b, f, t = x.shape
        x = np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(c * f, b, t)  # channel-major, then frequency
        x = self._bn("xvector.tdnn.nonlinear.batchnorm", self._conv1d(x, "xvector.tdnn.linear", stride=2))
        for i, (layers, dilation) in enumerate(zip(self.blocks, (1, 2, 2))):
            for j in range(layers):
                x = np.concatenate([x, self._cam_layer(x, f"xvector.block{i + 1}.tdnnd{j + 1}", dilation)], axis=0)
            x = self._conv1d(self._bn(f"xvector.transit{i + 1}.nonlinear.batchnorm", x), f"xvector.transit{i + 1}.linear")
        x = self._bn("xvector.out_nonlinear.batchnorm", x)
        std = x.std(axis=-1, ddof=1) if x.shape[-1] > 1 else np.full(x.shape[:2], 1e-2, np.float32)
        stats = np.concatenate([x.mean(axis=-1), std], axis=0)  # (2 * channels, batch)
        emb = self.w["xvector.dense.linear.weight"][:, :, 0] @ stats
        return self._bn("xvector.dense.nonlinear.batchnorm", emb, relu=False).T


def embed(model, feats, spans, frames_per_batch=1200, check=None):
    """One L2-normalised embedding per span [(first frame, frame count)] of an fbank computed once over the whole
    file (each span mean-normalised on its own, as an utterance). Spans of one length run as a batch of up to
    12 s (the front end's 3x3 patches of a batch take ~25 MB per second of it)."""
    out = np.zeros((len(spans), 192), np.float32)
    by_len = {}
    for i, (_, n) in enumerate(spans):
        by_len.setdefault(n, []).append(i)
    for n, idx in by_len.items():
        batch = max(1, frames_per_batch // n)
        for k in range(0, len(idx), batch):
            part = idx[k:k + batch]
            if check:
                check()
            x = np.stack([feats[spans[i][0]:spans[i][0] + n] for i in part])
            out[part] = model(x - x.mean(axis=1, keepdims=True))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
