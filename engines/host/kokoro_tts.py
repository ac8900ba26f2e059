"""Kokoro-82M (v1.0, int8 ONNX) in the warm engine host: text → IPA by the espeak-ng program → Kokoro's
phoneme vocabulary → one onnxruntime session per model, a style vector per voice (or a blend of two).

Why espeak-ng's own `--ipa` output and not a Python phonemizer: the usual wrapper is GPL-3 and this project
already runs espeak-ng as a program. The IPA is mapped the way Kokoro's training frontend did (misaki's espeak
mapping: tie-barred diphthongs and affricates become single symbols), and what Kokoro's vocabulary does not
know is dropped. Fed that, Kokoro speaks English, Spanish, French, Portuguese and Italian.

  {"id": 5, "op": "kokoro", "model": ONNX, "voices": NPZ, "vocab": JSON, "text": "...", "out": WAV,
   "language": "es", "voice": "jf_alpha", "blend": {"voice": "jm_kumo", "weight": 0.5} | null, "speed": 1.0}
"""
import json
import os
import re
import subprocess
import sys
import wave

SAMPLE_RATE = 24000
MAX_TOKENS = 500  # the model's context is 512 with the two pad tokens
# espeak-ng voices per language (the dub language → espeak-ng's name for it).
ESPEAK_VOICE = {"en": "en-us", "es": "es", "fr": "fr-fr", "pt": "pt-br", "it": "it"}
# misaki's espeak mapping (tie-barred pairs → the single symbols Kokoro was trained on).
TIES = [("a^ɪ", "I"), ("a^ʊ", "W"), ("d^z", "ʣ"), ("d^ʒ", "ʤ"), ("e^ɪ", "A"), ("o^ʊ", "O"), ("ə^ʊ", "Q"),
        ("s^s", "S"), ("t^s", "ʦ"), ("t^ʃ", "ʧ"), ("ɔ^ɪ", "Y")]
# American English as misaki writes it: r-coloured vowels spelled out, length marks dropped.
ENGLISH = [("ɜː", "ɜɹ"), ("ɚ", "əɹ"), ("ɐ", "ə"), ("ː", ""), ("ɬ", "l"), ("ʔ", "t")]
CLAUSE = re.compile(r"([^,.;:!?¿¡…—]+)([,.;:!?¿¡…—]*)")

_sessions = {}
_styles = {}
_vocabs = {}


def _host():
    # The host script runs as __main__; its Missing and check_cancel are the ones its loop answers for.
    return sys.modules["__main__"]


def _load(req):
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        raise _host().Missing(f"onnxruntime and numpy are not installed in this Python ({sys.executable}): {e}")
    for key in ("model", "voices", "vocab"):
        if not os.path.isfile(req[key]):
            raise _host().Missing(f"the Kokoro {key} file {req[key]} is missing")
    model = req["model"]
    if model not in _sessions:
        from onnx_options import cpu_session, cpu_session_options, cpu_threads
        threads = cpu_threads() or max(1, os.cpu_count() or 1)
        _sessions[model] = cpu_session(ort, model, cpu_session_options(ort, threads))
    if req["voices"] not in _styles:
        with np.load(req["voices"]) as npz:
            _styles[req["voices"]] = {k: npz[k] for k in npz.files}
    if req["vocab"] not in _vocabs:
        with open(req["vocab"], encoding="utf-8") as f:
            _vocabs[req["vocab"]] = json.load(f)["vocab"]
    return _sessions[model], _styles[req["voices"]], _vocabs[req["vocab"]], np


_ipa_memo = {}  # (espeak voice, clause) → IPA: dubs repeat lines (recaps, loops, a job rendered again)
IPA_MEMO_SIZE = 4096


def _espeak_ipa(voice, clauses):
    """IPA of each clause from one espeak-ng run (a blank line between clauses ends each one's output line); a
    clause espeak-ng cut in two makes the count disagree, and then each clause gets a run of its own."""
    def run(text):
        # No shell; the text goes through stdin, so a clause starting with "-" is never a flag.
        return subprocess.run(["espeak-ng", "-q", "--ipa", "--tie=^", "-v", voice, "--stdin"], input=text,
                              capture_output=True, text=True, timeout=30, check=True).stdout
    if len(clauses) > 1:
        lines = [" ".join(line.split()) for line in run("\n\n".join(clauses) + "\n").splitlines() if line.strip()]
        if len(lines) == len(clauses):
            return lines
    return [" ".join(run(c + "\n").split()) for c in clauses]


def ipa(text, language):
    """espeak-ng's IPA of each clause, with the clause's punctuation kept (Kokoro reads it as pauses and tune)."""
    voice = ESPEAK_VOICE.get(language)
    if voice is None:
        raise ValueError(f"Kokoro does not speak {language!r} here (it speaks {', '.join(ESPEAK_VOICE)})")
    clauses = []
    for words, punct in CLAUSE.findall(text.replace("\n", " ")):
        if not words.strip():
            if punct and clauses:
                clauses[-1][1] += punct.strip()
            continue
        clauses.append([" ".join(words.split()), "".join(c for c in punct if c not in "¿¡")])
    unknown = list(dict.fromkeys(w for w, _ in clauses if (voice, w) not in _ipa_memo))
    if unknown:
        if len(_ipa_memo) + len(unknown) > IPA_MEMO_SIZE:
            _ipa_memo.clear()
        _ipa_memo.update({(voice, w): got for w, got in zip(unknown, _espeak_ipa(voice, unknown))})
    return " ".join(_ipa_memo[(voice, w)] + punct for w, punct in clauses)


def to_kokoro(phonemes, language, vocab):
    for old, new in TIES:
        phonemes = phonemes.replace(old, new)
    if language == "en":
        for old, new in ENGLISH:
            phonemes = phonemes.replace(old, new)
    phonemes = phonemes.replace("^", "").replace("ʲ", "j")
    return "".join(c for c in phonemes if c in vocab)


def chunks(phonemes):
    """Pieces the model accepts, cut after punctuation where one is needed."""
    if len(phonemes) <= MAX_TOKENS:
        return [phonemes]
    out, cur = [], ""
    for piece in re.split(r"(?<=[,.!?;:])\s+", phonemes):
        if cur and len(cur) + len(piece) + 1 > MAX_TOKENS:
            out.append(cur)
            cur = piece
        else:
            cur = f"{cur} {piece}".strip()
    if cur:
        out.append(cur)
    return [c[:MAX_TOKENS] for c in out]


def style_of(styles, req, np):
    voice = req["voice"]
    if voice not in styles:
        raise ValueError(f"Kokoro has no voice {voice!r} (voices: {', '.join(sorted(styles))})")
    blend = req.get("blend")
    if not blend:
        return styles[voice]
    other, weight = blend["voice"], float(blend["weight"])
    if other not in styles or not 0 <= weight <= 1:
        raise ValueError(f"Kokoro blend {other!r}@{weight} is not one of its voices with a weight in 0..1")
    return (1 - weight) * styles[voice] + weight * styles[other]


def kokoro(req):
    session, styles, vocab, np = _load(req)
    style = style_of(styles, req, np)
    speed = float(req.get("speed") or 1.0)
    phonemes = to_kokoro(ipa(req["text"], req["language"]), req["language"], vocab)
    parts = []
    for piece in chunks(phonemes):
        _host().check_cancel(req["id"])
        tokens = [vocab[c] for c in piece]
        if not tokens:
            continue
        ref = style[min(len(tokens), len(style)) - 1]
        audio = session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(ref, dtype=np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        })[0]
        parts.append(np.asarray(audio, np.float32).ravel())
    audio = np.concatenate(parts) if parts else np.zeros(int(0.1 * SAMPLE_RATE), np.float32)
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    tmp = req["out"] + ".part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, req["out"])
    return {"durationSec": len(pcm) / SAMPLE_RATE, "sampleRate": SAMPLE_RATE, "phonemes": len(phonemes)}
