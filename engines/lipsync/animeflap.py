"""Anime mouth flaps re-timed to the dub: one process per job does every frame (two decodes, one encode).

Drawn mouths have a few states (closed, half open, open) switched a few times a second. This finds the faces
(nagadomi's AnimeFace via the `animeface` wheel) per shot, follows them through the shot, learns each face's own
mouth drawings from its frames, decides which face speaks each source line (its mouth moves during that line's
voice and not outside the lines) and redraws that face's mouth to the dub's voice: closed where the dub is silent,
its open drawings where the dub speaks (the most open one on the louder frames). A drawing is pasted from one of
the face's own frames into the mouth region with soft edges, only on frames whose mouth is not already in the
wanted state. Pixels are handled in the video's own YUV 4:2:0 planes, so nothing outside a pasted region changes
before the encoder.

  python animeflap.py PLAN.json

PLAN.json: {"face": VIDEO, "voice": DUB_VOICE_AUDIO, "lines": [{"index", "start", "end"}] (source lines, s),
"outfile": MP4, "report": JSON, "still": PNG, "box": {"top", "bottom", "left", "right"} | null (in frames scaled
down by resizeFactor), "resizeFactor": 1, "crf": 10}
Progress goes to stderr; the report (per shot: faces, lines re-timed, frames changed) to the report file.
"""
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

# Two mouth drawings are different states when this share of the region's pixels differs by more than 24 levels
# of Y (encoder noise stays below that; a redrawn mouth changes a few percent of the region).
MIN_STATE_CHANGE = 0.03
SPEAKER_MIN_SCORE = 0.2  # open share inside the line minus outside the lines, for a face to be its speaker
CUT_DIFFERENCE = 22.0  # mean |ΔY| of 1/8-size thumbnails between consecutive frames that starts a new shot
DETECTIONS_PER_SECOND = 4  # anime holds a pose for several frames; faces are followed in between


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,avg_frame_rate,r_frame_rate", "-of", "json", path],
                         check=True, capture_output=True).stdout
    s = json.loads(out)["streams"][0]
    rate = s.get("avg_frame_rate") or s["r_frame_rate"]
    if rate in ("0/0", ""):
        rate = s["r_frame_rate"]
    num, den = (int(x) for x in rate.split("/"))
    return int(s["width"]), int(s["height"]), rate, num / den


def frames_of(path, w, h, seek=None, count=None):
    """Yields each frame's Y, U, V planes (4:2:0, as decoded); from `seek` seconds (ffmpeg's accurate input seek),
    at most `count` frames."""
    size = w * h * 3 // 2
    window = (["-ss", f"{seek:.6f}"] if seek is not None else []) + ["-i", path] + (["-frames:v", str(count)] if count else [])
    dec = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", *window, "-map", "0:v:0", "-f", "rawvideo",
                            "-pix_fmt", "yuv420p", "-"], stdout=subprocess.PIPE)
    try:
        while True:
            buf = dec.stdout.read(size)
            if len(buf) < size:
                break
            a = np.frombuffer(buf, dtype=np.uint8)
            y = a[:w * h].reshape(h, w)
            u = a[w * h:w * h + (w // 2) * (h // 2)].reshape(h // 2, w // 2)
            v = a[w * h + (w // 2) * (h // 2):].reshape(h // 2, w // 2)
            yield y, u, v
    finally:
        # A reader that stops early (a seek that missed) ends the decoder, rather than leave it writing to a closed pipe.
        if dec.poll() is None:
            dec.terminate()
        dec.stdout.close()
        dec.wait()


def frame_key(y):
    """A frame's fingerprint (its luma, subsampled): a decode that starts mid-video must meet the same frames."""
    return hashlib.blake2b(np.ascontiguousarray(y[::4, ::4]).tobytes(), digest_size=8).digest()


class FramesMoved(Exception):
    """A seek did not land on the frame the analysis numbered (the segment render gives up)."""


def rgb_of(y, u, v):
    """BT.601 limited range to RGB (detection only: the output is never converted)."""
    yf = (y.astype(np.float32) - 16) * 1.164
    uf = np.repeat(np.repeat(u.astype(np.float32) - 128, 2, 0), 2, 1)[:y.shape[0], :y.shape[1]]
    vf = np.repeat(np.repeat(v.astype(np.float32) - 128, 2, 0), 2, 1)[:y.shape[0], :y.shape[1]]
    rgb = np.stack([yf + 1.596 * vf, yf - 0.392 * uf - 0.813 * vf, yf + 2.017 * uf], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def loudness(path, fps, frames):
    """The dub voice's RMS per video frame (16 kHz mono)."""
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768
    hop = 16000 / fps
    out = np.zeros(frames, dtype=np.float32)
    for i in range(frames):
        seg = x[int(i * hop):int((i + 1) * hop)]
        if len(seg):
            out[i] = float(np.sqrt(np.mean(seg ** 2)))
    return out


def speech_frames(rms):
    voiced = rms[rms > 1e-4]
    if not len(voiced):
        return np.zeros(len(rms), dtype=bool)
    speech = rms > max(1e-3, 0.1 * float(np.percentile(voiced, 95)))
    # A one-frame dip inside a word is not a pause.
    for i in range(1, len(speech) - 1):
        if not speech[i] and speech[i - 1] and speech[i + 1]:
            speech[i] = True
    return speech


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


class Detector:
    def __init__(self, box, factor):
        import animeface  # imported here so a missing wheel is reported by the plugin check, not a traceback
        self.animeface = animeface
        self.box = box
        self.factor = factor
        self.calls = 0
        self.seconds = 0.0

    def faces(self, y, u, v):
        """[(face x, y, w, h), (mouth centre x, y)] in full-frame pixels."""
        img = Image.fromarray(rgb_of(y, u, v))
        f = self.factor
        if f > 1:
            img = img.resize((img.width // f, img.height // f), Image.BILINEAR)
        ox = oy = 0
        if self.box:
            b = self.box
            img = img.crop((b["left"], b["top"], b["right"], b["bottom"]))
            ox, oy = b["left"], b["top"]
        t = time.time()
        found = self.animeface.detect(img)
        self.seconds += time.time() - t
        self.calls += 1
        out = []
        for d in found:
            fp, mp = d.face.pos, d.mouth.pos
            face = ((fp.x + ox) * f, (fp.y + oy) * f, fp.width * f, fp.height * f)
            mouth = ((mp.x + ox + mp.width / 2) * f, (mp.y + oy + mp.height / 2) * f)
            out.append((face, mouth))
        return out


class Track:
    """One face followed through one shot: where its mouth region is, and that region's pixels in every frame."""

    def __init__(self, ident, shot, frame, face, mouth, size):
        self.id = ident
        self.shot = shot
        self.face = face
        self.boxes = [face]
        self.rel = [((mouth[0] - face[0]) / face[2], (mouth[1] - face[1]) / face[3])]
        w, h = size
        # Mouth region: about half the face wide and a third of it high (an open mouth fits), even-aligned for chroma.
        self.rw = max(8, int(face[2] * 0.6) // 2 * 2)
        self.rh = max(6, int(face[3] * 0.4) // 2 * 2)
        self.frame_w, self.frame_h = w, h
        self.first = frame
        self.detected = 0
        self.last_seen = frame
        self.held = None
        self.pos = {}  # frame -> (x, y) of the region's top-left corner
        self.y = {}
        self.u = {}
        self.v = {}

    def update(self, frame, face, mouth):
        # The detector's box wobbles by a few pixels with the mouth's drawing; the region must not.
        self.boxes.append(face)
        self.boxes = self.boxes[-9:]
        self.face = tuple(float(np.median([b[i] for b in self.boxes])) for i in range(4))
        self.rel.append(((mouth[0] - face[0]) / face[2], (mouth[1] - face[1]) / face[3]))
        self.rel = self.rel[-9:]
        self.detected += 1
        self.last_seen = frame

    def region(self):
        rx = float(np.median([r[0] for r in self.rel]))
        ry = float(np.median([r[1] for r in self.rel]))
        cx = self.face[0] + rx * self.face[2]
        cy = self.face[1] + ry * self.face[3]
        x = int(round(cx - self.rw / 2)) // 2 * 2
        y = int(round(cy - self.rh / 2)) // 2 * 2
        x = min(max(0, x), self.frame_w - self.rw)
        y = min(max(0, y), self.frame_h - self.rh)
        # Hysteresis: the region follows a face that moves, not the detector's jitter on a face that holds still.
        if self.held and max(abs(x - self.held[0]), abs(y - self.held[1])) < 0.08 * self.face[2]:
            return self.held
        self.held = (x, y)
        return x, y

    def keep(self, frame, y, u, v):
        x0, y0 = self.region()
        self.pos[frame] = (x0, y0)
        self.y[frame] = y[y0:y0 + self.rh, x0:x0 + self.rw].copy()
        self.u[frame] = u[y0 // 2:(y0 + self.rh) // 2, x0 // 2:(x0 + self.rw) // 2].copy()
        self.v[frame] = v[y0 // 2:(y0 + self.rh) // 2, x0 // 2:(x0 + self.rw) // 2].copy()


def kmeans(x, k, iters=25):
    """Deterministic k-means (farthest-point start): labels and centres."""
    centres = [x[0]]
    for _ in range(1, k):
        d = np.min([np.mean(np.abs(x - c), axis=1) for c in centres], axis=0)
        centres.append(x[int(np.argmax(d))])
    centres = np.array(centres)
    for _ in range(iters):
        labels = np.argmin([np.mean(np.abs(x - c), axis=1) for c in centres], axis=0)
        new = np.array([x[labels == j].mean(axis=0) if np.any(labels == j) else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    return labels, centres


def mouth_states(track):
    """Clusters the track's mouth pixels into its drawings, ordered closed → most open. Returns
    (state per frame, exemplar frame per state)."""
    frames = sorted(track.y)
    x = np.array([track.y[f].astype(np.float32).ravel() for f in frames])
    best = (np.zeros(len(frames), dtype=int), x.mean(axis=0, keepdims=True))
    for k in (2, 3):
        if len(frames) < k * 2:
            break
        labels, centres = kmeans(x, k)
        counts = np.bincount(labels, minlength=k)
        apart = min(np.mean(np.abs(centres[i] - centres[j]) > 24) for i in range(k) for j in range(i + 1, k))
        if counts.min() >= 2 and apart >= MIN_STATE_CHANGE:
            best = (labels, centres)
        else:
            break
    labels, centres = best
    # Openness: how much of the region differs from the skin (the region's median), the most for an open mouth.
    skin = np.median(x)
    openness = [float(np.mean(np.abs(c - skin) > 30)) for c in centres]
    order = np.argsort(openness)
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    states = {f: int(rank[labels[i]]) for i, f in enumerate(frames)}
    exemplars = []
    for j in order:
        members = [i for i in range(len(frames)) if labels[i] == j]
        dist = [np.mean(np.abs(x[i] - centres[j])) for i in members]
        exemplars.append(frames[members[int(np.argmin(dist))]])
    return states, exemplars


def feather(h, w):
    """1 inside an ellipse filling 70 % of the region, fading to 0 at its edge."""
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.sqrt(((xx + 0.5 - w / 2) / (w / 2)) ** 2 + ((yy + 0.5 - h / 2) / (h / 2)) ** 2)
    return np.clip((1.0 - r) / 0.3, 0.0, 1.0).astype(np.float32)


def paste(plane, x0, y0, patch, mask):
    h, w = patch.shape
    region = plane[y0:y0 + h, x0:x0 + w].astype(np.float32)
    plane[y0:y0 + h, x0:x0 + w] = np.clip(np.rint(region * (1 - mask) + patch.astype(np.float32) * mask), 0, 255).astype(np.uint8)


def analyse(plan, w, h, fps, detector):
    stride = max(1, int(round(fps / DETECTIONS_PER_SECOND)))
    shots = []
    tracks = []
    keys = []
    prev_thumb = None
    n = 0
    for n, (y, u, v) in enumerate(frames_of(plan["face"], w, h)):
        thumb = y[::8, ::8].astype(np.float32)
        keys.append(frame_key(y))
        if prev_thumb is None or float(np.mean(np.abs(thumb - prev_thumb))) > CUT_DIFFERENCE:
            shots.append({"start": n, "detections": 0, "withFace": 0})
        prev_thumb = thumb
        shot = len(shots) - 1
        active = [t for t in tracks if t.shot == shot]
        if (n - shots[-1]["start"]) % stride == 0:
            found = detector.faces(y, u, v)
            shots[-1]["detections"] += 1
            shots[-1]["withFace"] += 1 if found else 0
            for face, mouth in found:
                match = max(active, key=lambda t: iou(t.face, face), default=None)
                if match is not None and iou(match.face, face) > 0.3:
                    match.update(n, face, mouth)
                else:
                    t = Track(len(tracks), shot, n, face, mouth, (w, h))
                    t.detected = 1
                    tracks.append(t)
                    active.append(t)
        for t in active:
            # A face not seen for two detection rounds has left the shot.
            if n - t.last_seen <= 2 * stride:
                t.keep(n, y, u, v)
        if n % 100 == 0:
            log(f"analysed {n} frames, {len(shots)} shots, {detector.calls} detections")
    total = n + 1
    for i, s in enumerate(shots):
        s["end"] = shots[i + 1]["start"] if i + 1 < len(shots) else total
    return shots, [t for t in tracks if len(t.y) >= 2], total, stride, keys


def retime(plan):
    """Everything before the render: the shots, faces, speakers and which mouth drawing goes on which frame."""
    started = time.time()
    w, h, rate, fps = probe(plan["face"])
    detector = Detector(plan.get("box"), int(plan.get("resizeFactor") or 1))
    shots, tracks, total, stride, keys = analyse(plan, w, h, fps, detector)
    analysed = time.time()
    rms = loudness(plan["voice"], fps, total)
    speech = speech_frames(rms)
    lines = sorted(plan["lines"], key=lambda l: l["start"])
    frame_t = lambda f: (f + 0.5) / fps
    in_any_line = np.array([any(l["start"] <= frame_t(f) < l["end"] for l in lines) for f in range(total)])

    # Dub speech belongs to the line whose slot it is in: a dub line starts at its source line's start and may
    # run on into the gap after it.
    slot = np.full(total, -1)
    for f in range(total):
        if lines:
            started_lines = [l for l in lines if l["start"] <= frame_t(f) + 0.15]
            slot[f] = (started_lines[-1] if started_lines else lines[0])["index"]
    owner = np.where(speech, slot, -1)

    edits = {}  # frame -> [(track, state)]
    report_shots = []
    for si, shot in enumerate(shots):
        in_shot = [t for t in tracks if t.shot == si]
        info = {}
        for t in in_shot:
            states, exemplars = mouth_states(t)
            info[t.id] = (states, exemplars)
        shot_frames = range(shot["start"], shot["end"])
        outside = [f for f in shot_frames if not in_any_line[f]]
        speakers = {}
        line_rows = []
        for l in lines:
            frames = [f for f in shot_frames if l["start"] <= frame_t(f) < l["end"]]
            if len(frames) < 3:
                continue
            scores = {}
            for t in in_shot:
                states, exemplars = info[t.id]
                seen = [f for f in frames if f in states]
                if len(exemplars) < 2 or len(seen) < len(frames) / 2:
                    continue
                inside = np.mean([states[f] > 0 for f in seen])
                out_seen = [f for f in outside if f in states]
                out = np.mean([states[f] > 0 for f in out_seen]) if out_seen else 0.0
                scores[t.id] = float(inside - out)
            best = max(scores, key=scores.get, default=None)
            chosen = best if best is not None and scores[best] >= SPEAKER_MIN_SCORE else None
            if chosen is not None:
                speakers[l["index"]] = chosen
            line_rows.append({"index": l["index"], "speaker": chosen, "scores": {str(k): round(v, 3) for k, v in scores.items()}})

        changed = set()
        retimed = set()
        for t in in_shot:
            if t.id not in speakers.values():
                continue
            states, exemplars = info[t.id]
            mine = {i for i, s in speakers.items() if s == t.id}
            spoken = [rms[f] for f in shot_frames if owner[f] in mine]
            loud = float(np.median(spoken)) if spoken else 0.0
            for f in shot_frames:
                if f not in states:
                    continue
                if owner[f] in mine:
                    want = len(exemplars) - 1 if (len(exemplars) == 2 or rms[f] >= loud) else 1
                else:
                    want = 0
                if want != states[f]:
                    edits.setdefault(f, []).append((t, exemplars[want]))
                    changed.add(f)
                    if slot[f] in mine:
                        retimed.add(int(slot[f]))
        report_shots.append({
            "index": si,
            "start": round(shot["start"] / fps, 3), "end": round(shot["end"] / fps, 3), "frames": shot["end"] - shot["start"],
            "detections": shot["detections"], "detectionsWithFace": shot["withFace"],
            "faces": [{"id": t.id, "box": [int(v) for v in t.face], "framesDetected": t.detected, "framesFollowed": len(t.y),
                       "mouthStates": len(info[t.id][1])} for t in in_shot],
            "lines": line_rows,
            "linesRetimed": sorted(retimed),
            "framesChanged": len(changed),
        })

    return {"size": (w, h), "rate": rate, "fps": fps, "total": total, "edits": edits, "shots": shots, "reportShots": report_shots,
            "keys": keys, "stride": stride, "detections": detector.calls, "detectionSeconds": detector.seconds, "started": started, "analysed": analysed}


def main():
    plan = json.load(open(sys.argv[1]))
    r = retime(plan)
    total, edits = r["total"], r["edits"]
    rendered = render(plan, r)
    reencoded = [(s["start"], s["end"]) for s in rendered.get("segments", []) if s["reencoded"]]
    if rendered["mode"] == "whole":
        reencoded = [(0, total)]
    for row, shot in zip(r["reportShots"], r["shots"]):
        # Frames of the shot that went through the encoder; the rest are the source's own, stream-copied.
        row["framesReencoded"] = sum(max(0, min(b, shot["end"]) - max(a, shot["start"])) for a, b in reencoded)
    report = {
        "plugin": "animeflap", "fps": round(r["fps"], 3), "frames": total, "detectEvery": r["stride"],
        "detections": r["detections"], "detectionSeconds": round(r["detectionSeconds"], 2),
        "framesChanged": len(edits), "render": rendered, "shots": r["reportShots"],
        "still": plan["still"] if edits else None,
        "seconds": {"analysis": round(r["analysed"] - r["started"], 2), "total": round(time.time() - r["started"], 2)},
    }
    with open(plan["report"], "w") as fh:
        json.dump(report, fh, indent=2)
    log(f"done: {len(edits)} of {total} frames changed in {report['seconds']['total']} s")


# Source H.264 profiles x264 can encode a touched segment in (8-bit 4:2:0), as x264 names them.
X264_PROFILES = {"Constrained Baseline": "baseline", "Baseline": "baseline", "Main": "main", "High": "high"}
COLOUR_TAGS = ("color_range", "color_space", "color_primaries", "color_transfer")
PART = "animeflap-part%04d.ts"  # the pieces, in the plugin's working folder (its cwd)
CONCAT_LIST = "animeflap-concat.txt"


def source_layout(path, total):
    """The source's picture stream as the segment cut needs it: codec facts, each frame's pts (display order) and
    the frames that start a GOP. Returns (layout, None) or (None, why the whole video must be re-encoded)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,profile,pix_fmt,time_base,has_b_frames," + ",".join(COLOUR_TAGS) + ":format=start_time",
                          "-of", "json", path], check=True, capture_output=True).stdout
    probed = json.loads(out)
    s = probed["streams"][0]
    if s.get("codec_name") != "h264":
        return None, f"the source is {s.get('codec_name')}, not H.264 (only H.264 segments are re-encoded to match)"
    if s.get("pix_fmt") != "yuv420p" or s.get("profile") not in X264_PROFILES:
        return None, f"the source is H.264 {s.get('profile')} {s.get('pix_fmt')}; segments are re-encoded only for 8-bit 4:2:0 Baseline/Main/High"
    if int(s.get("has_b_frames") or 0) > 2:
        return None, f"the source reorders {s.get('has_b_frames')} frames; a re-encoded segment would not join it"
    rows = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,duration,flags",
                           "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout.split()
    packets = []
    for row in rows:
        pts, duration, flags = (row.split(",") + ["", "", ""])[:3]
        if pts in ("", "N/A"):
            return None, "the source's packets have no timestamps"
        packets.append((int(pts), int(duration) if duration not in ("", "N/A") else 0, "K" in flags))
    if len(packets) != total:
        return None, f"the source has {len(packets)} picture packets but decodes to {total} frames"
    # Frame n of the decode is the n-th pts; with closed GOPs a keyframe's decode position is its display position.
    order = sorted(packets)
    pts = [p[0] for p in order]
    keyframes = [n for n, p in enumerate(order) if p[2]]
    if keyframes[:1] != [0] or len(keyframes) < 2:
        return None, f"the source has {len(keyframes)} keyframe(s): one GOP, nothing to cut at"
    num, den = (int(x) for x in s["time_base"].split("/"))
    end = max(p + d for p, d, _ in order) if order[-1][1] else pts[-1] + (pts[-1] - pts[-2])
    # ffmpeg's input seek counts from the file's start (the earliest stream's), not the picture's first frame.
    start = float(probed.get("format", {}).get("start_time") or 0)
    return {"stream": s, "pts": pts + [end], "timeBase": (num, den), "keyframes": keyframes, "start": start}, None


def segment_runs(keyframes, total, edits):
    """GOPs grouped into runs: [start, end, touched], neighbours of the same kind merged."""
    bounds = keyframes + [total]
    runs = []
    for a, b in zip(bounds, bounds[1:]):
        touched = any(a <= f < b for f in edits)
        if runs and runs[-1][2] == touched:
            runs[-1][1] = b
        else:
            runs.append([a, b, touched])
    return runs


def encoder_argv(plan, w, h, rate, out, stream=None):
    """x264 for the whole picture, or (with the source stream's facts) for one segment that must join the copied
    ones: same profile, pix_fmt and frame reordering (the decode delay decides whether the segments' decode times
    stay in order at the joins), same colour tags; MPEG-TS, so its parameter sets travel in-band."""
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-r", rate,
            "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(plan.get("crf", 10)), "-pix_fmt", "yuv420p"]
    if stream is None:
        return argv + [out]
    reorder = int(stream.get("has_b_frames") or 0)
    argv += ["-profile:v", X264_PROFILES[stream["profile"]]]
    if reorder == 0:
        argv += ["-bf", "0"]
    elif reorder == 1:
        argv += ["-x264-params", "b-pyramid=none"]
    for tag in COLOUR_TAGS:
        if stream.get(tag) not in (None, "unknown", "reserved"):
            argv += [f"-{tag.replace('color_transfer', 'color_trc').replace('color_space', 'colorspace')}", stream[tag]]
    return argv + ["-f", "mpegts", out]


def render(plan, retimed, segments=True):
    """Writes the picture with the edits; returns how (the report's "render"). segments=False re-encodes the whole
    video (the benchmark's comparison)."""
    (w, h), rate, total, edits = retimed["size"], retimed["rate"], retimed["total"], retimed["edits"]
    started = time.time()
    if not edits:
        # Nothing to redraw: the picture stream as it was.
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", plan["face"], "-map", "0:v:0", "-c", "copy",
                        plan["outfile"]], check=True)
        return {"mode": "copy", "framesReencoded": 0, "framesCopied": total, "seconds": round(time.time() - started, 2)}
    layout, why = source_layout(plan["face"], total) if segments else (None, "asked for (segments=False)")
    runs = segment_runs(layout["keyframes"], total, edits) if layout else None
    if runs is not None and all(r[2] for r in runs):
        why, runs = f"every one of the source's {len(layout['keyframes'])} GOPs has a changed frame", None
    if runs is not None:
        try:
            why = render_segments(plan, retimed, layout, runs)
        finally:
            # The pieces are a second copy of the picture: gone once joined (or given up on).
            for name in [PART % i for i in range(len(runs))] + [CONCAT_LIST]:
                if os.path.exists(name):
                    os.remove(name)
        if why is None:
            reencoded = sum(b - a for a, b, t in runs if t)
            return {"mode": "segments", "keyframes": len(layout["keyframes"]),
                    "segments": [{"start": a, "end": b, "reencoded": t} for a, b, t in runs],
                    "framesReencoded": reencoded, "framesCopied": total - reencoded, "seconds": round(time.time() - started, 2)}
    log(f"re-encoding the whole video: {why}")
    enc = subprocess.Popen(encoder_argv(plan, w, h, rate, plan["outfile"]), stdin=subprocess.PIPE)
    redraw(plan, total, edits, enumerate(frames_of(plan["face"], w, h)), lambda n: enc)
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("ffmpeg (encoder) failed")
    return {"mode": "whole", "reason": why, "framesReencoded": total, "framesCopied": 0, "seconds": round(time.time() - started, 2)}


def render_segments(plan, retimed, layout, runs):
    """Stream-copies the untouched runs of GOPs, re-encodes the touched ones, joins them with the concat demuxer.
    Returns None, or why the cut did not hold (then nothing it wrote is used)."""
    (w, h), rate, total, edits = retimed["size"], retimed["rate"], retimed["total"], retimed["edits"]
    parts = [PART % i for i in range(len(runs))]
    # One pass cuts the source at every run's first frame (all keyframes); the touched runs' copies are replaced.
    cuts = ",".join(str(a) for a, _, _ in runs[1:])
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", plan["face"], "-map", "0:v:0", "-c", "copy",
                    "-f", "segment", "-segment_format", "mpegts", "-segment_frames", cuts, "-reset_timestamps", "1",
                    PART], check=True)
    for (a, b, touched), part in zip(runs, parts):
        if not touched and packets_in(part) != b - a:
            return f"the stream copy of frames {a}–{b} did not cut at the keyframes (open GOPs?)"
    encoders = {}

    def encoder_for(n):
        i = next(i for i, (a, b, t) in enumerate(runs) if a <= n < b)
        if not runs[i][2]:
            return None
        if i not in encoders:
            for j in [j for j in encoders if encoders[j].stdin]:
                close(encoders[j])
            encoders[i] = subprocess.Popen(encoder_argv(plan, w, h, rate, parts[i], layout["stream"]), stdin=subprocess.PIPE)
        return encoders[i]

    try:
        redraw(plan, total, edits, touched_frames(plan, retimed, layout, runs), encoder_for)
    except FramesMoved as moved:
        for enc in encoders.values():
            if enc.stdin:
                enc.stdin.close()
            enc.wait()
        return str(moved)
    for enc in encoders.values():
        if enc.stdin:
            close(enc)
    num, den = layout["timeBase"]
    pts = layout["pts"]
    with open(CONCAT_LIST, "w") as fh:
        for (a, b, _), part in zip(runs, parts):
            # The source's own durations: the joined stream keeps every frame's time.
            fh.write(f"file '{part}'\nduration {(pts[b] - pts[a]) * num / den:.6f}\n")
    timescale = ["-video_track_timescale", str(den // num)] if den % num == 0 else []
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", CONCAT_LIST,
                    "-map", "0:v", "-c", "copy", *timescale, plan["outfile"]], check=True)
    if packets_in(plan["outfile"]) != total:
        return "the joined segments do not hold every frame"
    return None


def packets_in(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                          "stream=nb_read_packets", "-of", "json", path], check=True, capture_output=True, text=True).stdout
    streams = json.loads(out).get("streams") or [{}]
    return int(streams[0].get("nb_read_packets") or 0)


def close(enc):
    enc.stdin.close()
    enc.stdin = None
    if enc.wait() != 0:
        sys.exit("ffmpeg (segment encoder) failed")


def touched_frames(plan, retimed, layout, runs):
    """(frame number, planes) of the touched runs only: each decoded from its own keyframe by a seek, so the copied
    GOPs are not decoded again. Every frame must be the one the analysis saw under that number."""
    (w, h), fps, keys = retimed["size"], retimed["fps"], retimed["keys"]
    num, den = layout["timeBase"]
    for a, b, touched in runs:
        if not touched:
            continue
        # A quarter frame early: the seek drops the frames before it, never frame a to a rounding.
        seek = None if a == 0 else max(0.0, layout["pts"][a] * num / den - layout["start"] - 0.25 / fps)
        n = a
        for planes in frames_of(plan["face"], w, h, seek=seek, count=b - a):
            if frame_key(planes[0]) != keys[n]:
                raise FramesMoved(f"the decode seeking to frame {a} did not meet frame {n} as the analysis saw it")
            yield n, planes
            n += 1
        if n != b:
            raise FramesMoved(f"the decode seeking to frame {a} gave {n - a} of its {b - a} frames")


def redraw(plan, total, edits, numbered, encoder_for):
    """Pastes the edits into the decoded (frame number, planes) and sends each frame to the encoder encoder_for(n)
    names (None: the frame is copied, not encoded). Saves the still from the middle changed frame."""
    masks = {}
    changed = sorted(edits)
    still_at = changed[len(changed) // 2]
    for n, (y, u, v) in numbered:
        enc = encoder_for(n)
        if enc is None:
            continue
        if n in edits:
            original = (y.copy(), u.copy(), v.copy()) if n == still_at else None
            y, u, v = y.copy(), u.copy(), v.copy()
            for t, source in edits[n]:
                x0, y0 = t.pos[n]
                key = (t.rh, t.rw)
                if key not in masks:
                    full = feather(t.rh, t.rw)
                    masks[key] = (full, full[::2, ::2])
                full, half = masks[key]
                paste(y, x0, y0, t.y[source], full)
                paste(u, x0 // 2, y0 // 2, t.u[source], half)
                paste(v, x0 // 2, y0 // 2, t.v[source], half)
            if original is not None:
                side = np.concatenate([rgb_of(*original), rgb_of(y, u, v)], axis=1)
                Image.fromarray(side).save(plan["still"])
        enc.stdin.write(y.tobytes() + u.tobytes() + v.tobytes())
        if n % 100 == 0:
            log(f"rendered {n} of {total} frames")


if __name__ == "__main__":
    main()
