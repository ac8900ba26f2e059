"""CPU threading of the engine host's models (Whisper, Kokoro, piper).

onnxruntime's default is to keep its intra-op threads spinning between operators; on a machine whose cores are
shared (other engines, ffmpeg, a second job) a spinning thread burns CPU it does not use. Asleep instead, Kokoro
measured ~25 % less CPU and piper 35-45 % less, no slower (scripts/bench_onnx_spinning.py, docs/PERFORMANCE.md).

How many threads a model uses is the worker's `engines.threads` (ENGINE_THREADS), handed down by the worker as
ANIME_DUB_ENGINE_THREADS; unset, every core. Where jobs already fill the cores, one thread each costs less CPU per
line: on a 2-core machine Whisper base was 1.5x faster with 1 thread than with 2, Kokoro and piper took 13-15 % less
CPU (docs/PERFORMANCE.md).

Each model's graph is optimized once per machine, not at every host start (`cpu_session`): onnxruntime spends most
of a load rewriting the graph (Kokoro int8: 0.81 CPU-s to load, 0.53 from its optimized copy; piper's voice 0.62
and 0.37: docs/PERFORMANCE.md), and every worker start, replaced host or second host loads again. The copy answers byte for byte what the
model does (test/integration/onnxOptimizedCopy.test.ts). It may hold rewrites for this CPU's instruction set, so its
name carries a hash of the model's bytes, onnxruntime's version and the CPU's flags. It is kept under
$XDG_CACHE_HOME/anime-dub/onnx-optimized (~/.cache), written beside its final name and renamed into place, so hosts
loading at once never read half of one; where that folder cannot be written the model loads as before. Only the
worker's own models (its models folder) get a copy: a voice a job names elsewhere loads as before."""
import hashlib
import os
import sys


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


# How each model of this host was loaded: "optimized copy", "optimized, copy saved" or "as is" (ping reports it).
loaded_from = {}


def _cache_dir():
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "anime-dub", "onnx-optimized")


def _cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line for line in f if line.startswith("flags")), "")
    except OSError:
        import platform
        return platform.processor()


def _optimized_name(ort, model):
    h = hashlib.sha256()
    with open(model, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(f"\0{ort.__version__}\0{_cpu_flags()}".encode())
    return os.path.join(_cache_dir(), f"{os.path.splitext(os.path.basename(model))[0]}-{h.hexdigest()[:20]}.onnx")


def _workers_own(model):
    """A model inside the worker's models folder (handed down as ANIME_DUB_MODELS_DIR): only those get a copy kept,
    since a job may name a piper voice anywhere and must not make the worker write copies of files it chose. The
    path as named, not resolved: the bundled voices are links into the engines' environment."""
    root = os.environ.get("ANIME_DUB_MODELS_DIR", "")
    return bool(root) and os.path.abspath(model).startswith(os.path.abspath(root) + os.sep)


def cpu_session(ort, model, opts):
    """An InferenceSession of `model` with `opts` on the CPU, loaded from its optimized copy when this machine has
    one (and saving that copy when it has not)."""
    def load(path, options):
        return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    if not _workers_own(model):
        loaded_from[model] = "as is"
        return load(model, opts)
    copy = _optimized_name(ort, model)
    if os.path.isfile(copy):
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            session = load(copy, opts)
            loaded_from[model] = "optimized copy"
            return session
        except Exception as e:  # an unreadable copy is made again below
            print(f"[onnx] optimized copy {copy} did not load ({e}); optimizing {model} again", file=sys.stderr)
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    part = f"{copy}.{os.getpid()}.part.onnx"
    session = None
    try:
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        opts.optimized_model_filepath = part
        session = load(model, opts)
        os.replace(part, copy)
        loaded_from[model] = "optimized, copy saved"
    except Exception as e:  # no folder to keep it in, or onnxruntime could not write it: load as before
        print(f"[onnx] no optimized copy of {model} kept ({e})", file=sys.stderr)
    finally:
        if os.path.exists(part):
            os.remove(part)
    if session is None:
        opts.optimized_model_filepath = ""
        session = load(model, opts)
        loaded_from[model] = "as is"
    return session
