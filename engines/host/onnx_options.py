"""onnxruntime session options for the CPU models of the engine host (Kokoro, piper).

onnxruntime's default is to keep its intra-op threads spinning between operators; on a machine whose cores are
shared (other engines, ffmpeg, a second job) a spinning thread burns CPU it does not use. Asleep instead, Kokoro
measured ~25 % less CPU and piper 35-45 % less, no slower (scripts/bench_onnx_spinning.py, docs/PERFORMANCE.md)."""


def cpu_session_options(ort, threads=None):
    """`threads` None keeps onnxruntime's own count (what PiperVoice.load gives piper)."""
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts
