"""CPU threading of the engine host's models (Whisper, Kokoro, piper).

onnxruntime's default is to keep its intra-op threads spinning between operators; on a machine whose cores are
shared (other engines, ffmpeg, a second job) a spinning thread burns CPU it does not use. Asleep instead, Kokoro
measured ~25 % less CPU and piper 35-45 % less, no slower (scripts/bench_onnx_spinning.py, docs/PERFORMANCE.md).

How many threads a model uses is the worker's `engines.threads` (ENGINE_THREADS), handed down by the worker as
ANIME_DUB_ENGINE_THREADS; unset, every core. Where jobs already fill the cores, one thread each costs less CPU per
line: on a 2-core machine Whisper base was 1.5x faster with 1 thread than with 2, Kokoro and piper took 13-15 % less
CPU (docs/PERFORMANCE.md)."""
import os


def cpu_threads():
    """The worker's thread count for one model, or None (the engine's own default: every core)."""
    value = os.environ.get("ANIME_DUB_ENGINE_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def cpu_session_options(ort, threads=None):
    """`threads` None: the worker's setting, else onnxruntime's own count (what PiperVoice.load gives piper)."""
    opts = ort.SessionOptions()
    threads = threads or cpu_threads()
    if threads:
        opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts
