"""The warm engine host: one long-lived Python process per worker slot that keeps models loaded.

It speaks JSON lines: one request per line on stdin, answers (and progress notes) on stdout, logs on stderr.
Requests run one at a time; a reader thread keeps reading stdin meanwhile, so a `cancel` for the running
request is seen at its next step (a Whisper segment, a piper sentence) instead of after it. The host exits
when stdin closes, so it never outlives the worker that started it.

  {"id": 1, "op": "ping"}
  {"id": 2, "op": "transcribe", "model": DIR_OR_NAME, "audio": WAV, "task": "transcribe"|"translate",
   "language": "ja"|null, "device": "auto"|"cpu"|"cuda", "beamSize": 5, "vad": true}
  {"id": 3, "op": "synthesize", "model": ONNX, "text": "...", "out": WAV, "lengthScale": 1.0, "speakerId": null,
   "device": "auto"}
  {"id": 4, "op": "xtts", "model": "tts_models/multilingual/multi-dataset/xtts_v2", "text": "...", "out": WAV,
   "speakerWav": REFERENCE_WAV, "language": "es", "device": "auto"}
  {"op": "cancel", "target": 2}

Answers: {"id": n, "ok": true, "result": {...}}, {"id": n, "ok": false, "kind": "cancelled"|"missing"|"failed",
"error": "..."} and, while a transcription runs, {"id": n, "progress": SECONDS_DONE}.
"""
import json
import os
import queue
import sys
import threading
import time
import traceback
import wave

from kokoro_tts import kokoro  # Kokoro-82M (engines/host/kokoro_tts.py)

# Libraries print to stdout now and then; only our answers may go there.
_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
sys.stdout = sys.stderr
_write_lock = threading.Lock()


def send(message):
    with _write_lock:
        _out.write(json.dumps(message, ensure_ascii=False) + "\n")
        _out.flush()


class Cancelled(Exception):
    pass


class Missing(Exception):
    pass


_requests = queue.Queue()
_cancelled = set()
_cancel_lock = threading.Lock()


def read_stdin():
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            req = json.loads(raw)
        except ValueError:
            send({"id": None, "ok": False, "kind": "failed", "error": "a request that is not JSON"})
            continue
        if req.get("op") == "cancel":
            with _cancel_lock:
                _cancelled.add(req.get("target"))
        else:
            _requests.put(req)
    _requests.put(None)  # stdin closed: the worker is gone


def check_cancel(req_id):
    with _cancel_lock:
        if req_id in _cancelled:
            raise Cancelled()


def cuda_available():
    try:
        import ctranslate2
        return ctranslate2.get_cuda_device_count() > 0
    except Exception:
        return False


def placement(device):
    """auto: CUDA with float16 where it works, else the CPU with int8."""
    if device == "cuda" or (device == "auto" and cuda_available()):
        return "cuda", "float16"
    return "cpu", "int8"


_whisper = {}
_piper = {}
_xtts = {}


def whisper_model(name, device):
    dev, compute = placement(device)
    key = (name, dev, compute)
    if key not in _whisper:
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise Missing(f"faster-whisper is not installed in this Python ({sys.executable}): {e}")
        if os.path.sep in name and not os.path.isfile(os.path.join(name, "model.bin")):
            raise Missing(f"no Whisper model at {name} (model.bin missing)")
        from onnx_options import cpu_threads
        _whisper[key] = WhisperModel(name, device=dev, compute_type=compute, cpu_threads=cpu_threads() or os.cpu_count() or 1)
    return _whisper[key], dev, compute


def transcribe(req):
    model, dev, compute = whisper_model(req["model"], req.get("device", "auto"))
    segments, info = model.transcribe(
        req["audio"],
        language=req.get("language") or None,
        task=req.get("task", "transcribe"),
        beam_size=int(req.get("beamSize", 5)),
        word_timestamps=True,
        vad_filter=bool(req.get("vad", True)),
        condition_on_previous_text=bool(req.get("conditionOnPreviousText", True)),
        # The episode's known names (trusted cast and series names only, capped by the caller), so Whisper spells them.
        hotwords=req.get("hotwords") or None,
        clip_timestamps=[float(t) for t in req["clips"]] if req.get("clips") else "0",
    )
    out = []
    for s in segments:  # lazy: each step decodes one more window, so cancel and progress come between
        check_cancel(req["id"])
        out.append({
            "start": s.start, "end": s.end, "text": s.text,
            "no_speech_prob": s.no_speech_prob, "avg_logprob": s.avg_logprob,
            "words": [{"word": w.word, "start": w.start, "end": w.end, "probability": w.probability} for w in (s.words or [])],
        })
        send({"id": req["id"], "progress": s.end})
    return {"language": info.language, "languageProbability": info.language_probability,
            "duration": info.duration, "device": dev, "computeType": compute, "segments": out}


def onnx_cuda():
    try:
        import onnxruntime
        return "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    except Exception:
        return False


def piper_voice(model, device):
    dev, _ = placement(device)
    # piper runs on onnxruntime, whose CPU build has no CUDA provider even where CTranslate2 sees a GPU.
    dev = "cuda" if dev == "cuda" and onnx_cuda() else "cpu"
    key = (model, dev)
    if key not in _piper:
        try:
            from piper import PiperVoice
        except ImportError as e:
            raise Missing(f"piper-tts is not installed in this Python ({sys.executable}): {e}")
        if not os.path.isfile(model) or not os.path.isfile(model + ".json"):
            raise Missing(f"piper voice {model} needs both {os.path.basename(model)} and its .onnx.json")
        _piper[key] = PiperVoice.load(model, use_cuda=True) if dev == "cuda" else piper_on_cpu(PiperVoice, model)
    return _piper[key]


def piper_on_cpu(PiperVoice, model):
    """PiperVoice.load's voice, with a session whose threads sleep between operators (onnx_options.py)."""
    import onnxruntime
    from pathlib import Path
    from piper.config import PiperConfig
    from piper.voice import ESPEAK_DATA_DIR
    from onnx_options import cpu_session, cpu_session_options
    with open(model + ".json", encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = cpu_session(onnxruntime, model, cpu_session_options(onnxruntime))
    return PiperVoice(config=config, session=session, espeak_data_dir=Path(ESPEAK_DATA_DIR), download_dir=Path.cwd())


def synthesize(req):
    from piper import SynthesisConfig
    voice = piper_voice(req["model"], req.get("device", "auto"))
    config = SynthesisConfig(speaker_id=req.get("speakerId"), length_scale=req.get("lengthScale"))
    tmp = req["out"] + ".part"
    frames = 0
    rate = voice.config.sample_rate
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        for chunk in voice.synthesize(req["text"], syn_config=config):  # one sentence at a time
            check_cancel(req["id"])
            data = chunk.audio_int16_bytes
            w.writeframes(data)
            frames += len(data) // 2
    os.replace(tmp, req["out"])
    return {"durationSec": frames / rate, "sampleRate": rate}


def xtts(req):
    """Coqui XTTS v2: a voice cloned from the speaker's reference clip, the model loaded once per host."""
    dev, _ = placement(req.get("device", "auto"))
    key = (req["model"], dev)
    if key not in _xtts:
        try:
            from TTS.api import TTS
        except ImportError as e:
            raise Missing(f"Coqui TTS is not importable by {sys.executable}: {e}")
        _xtts[key] = TTS(model_name=req["model"], progress_bar=False).to(dev)
    check_cancel(req["id"])
    tmp = req["out"] + ".part.wav"
    _xtts[key].tts_to_file(text=req["text"], speaker_wav=req["speakerWav"], language=req["language"], file_path=tmp, split_sentences=True)
    os.replace(tmp, req["out"])
    with wave.open(req["out"], "rb") as w:
        return {"durationSec": w.getnframes() / w.getframerate(), "sampleRate": w.getframerate()}


def ping(_req):
    versions = {}
    for mod in ("faster_whisper", "ctranslate2", "onnxruntime", "piper"):
        try:
            from importlib.metadata import version
            versions[mod] = version({"piper": "piper-tts", "faster_whisper": "faster-whisper"}.get(mod, mod))
        except Exception:
            versions[mod] = None
    from onnx_options import cpu_threads, loaded_from
    return {"pid": os.getpid(), "python": sys.version.split()[0], "versions": versions, "cuda": cuda_available(),
            "threads": cpu_threads() or os.cpu_count(), "onnxModels": loaded_from}


def voice_activity(req, check):
    """Silero VAD (engines/host/voice_activity.py), imported on first use: a host without numpy still starts."""
    try:
        from voice_activity import voice_activity as run
    except ImportError as e:
        raise Missing(f"voice activity needs numpy and onnxruntime in this Python ({sys.executable}): {e}")
    return run(req, check)


def speaker_turns(req, check):
    """The embedded diarizer (engines/host/speaker_turns.py), imported on first use like voice_activity."""
    try:
        from speaker_turns import speaker_turns as run
    except ImportError as e:
        raise Missing(f"the diarizer needs numpy and onnxruntime in this Python ({sys.executable}): {e}")
    return run(req, check)


OPS = {"ping": ping, "transcribe": transcribe, "synthesize": synthesize, "xtts": xtts, "kokoro": kokoro}
OPS.update(voice_activity=lambda r: voice_activity(r, lambda: check_cancel(r["id"])), speaker_turns=lambda r: speaker_turns(r, lambda: check_cancel(r["id"])))


def main():
    threading.Thread(target=read_stdin, daemon=True).start()
    send({"ready": True, "pid": os.getpid()})
    while True:
        req = _requests.get()
        if req is None:
            return
        req_id = req.get("id")
        started = time.time()
        try:
            op = OPS.get(req.get("op"))
            if op is None:
                raise ValueError(f"unknown op {req.get('op')!r}")
            check_cancel(req_id)
            result = op(req)
            send({"id": req_id, "ok": True, "result": result, "wallMs": round((time.time() - started) * 1000)})
        except Cancelled:
            send({"id": req_id, "ok": False, "kind": "cancelled", "error": "cancelled"})
        except Missing as e:
            send({"id": req_id, "ok": False, "kind": "missing", "error": str(e)})
        except ImportError as e:  # an engine installed but broken (the worker's probe only looks that it is there)
            send({"id": req_id, "ok": False, "kind": "missing", "error": f"{type(e).__name__}: {e}"})
        except Exception as e:  # an engine's own failure: the caller decides whether to retry
            traceback.print_exc(file=sys.stderr)
            send({"id": req_id, "ok": False, "kind": "failed", "error": f"{type(e).__name__}: {e}"})
        finally:
            with _cancel_lock:
                _cancelled.discard(req_id)


if __name__ == "__main__":
    main()
