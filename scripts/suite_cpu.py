#!/usr/bin/env python3
"""The whole CPU a command costs, and where it goes: every process it starts, including the ones that outlive
their parent (a dev server started detached, an engine host orphaned by a killed worker).

    python3 scripts/suite_cpu.py [--json OUT] [--record] -- CMD ARGS...

Why not the jest environment's own figure (test/.cache/suite-times.jsonl, `cpuSec`): a process only adds its
children's CPU to its own when it waits for them, so a worker killed by SIGKILL, an engine host it left behind or
the detached Temporal dev server never reach it. Here this process becomes a child subreaper (prctl), so every
orphan of the tree is re-parented to it and reaped here: the total (getrusage of the children) is the whole
tree's. The split by kind of process comes from sampling /proc every 0.5 s (a process shorter than that, e.g. an
ffprobe, is in the total but shows under "unsampled").

--record adds the result to test/.cache/suite-cpu.jsonl (one line per run), which `--write-times` folds into
test/suite-times.json as `treeCpuSec` and `treeCpuBy` beside the jest environment's `wallSec`/`cpuSec`.
Run one suite at a time, with the engines' caches warm (test/.cache/media made by an earlier run), and your own
ANIME_DUB_TEST_PORT.
"""
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
HZ = os.sysconf('SC_CLK_TCK')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDS = os.path.join(ROOT, 'test', '.cache', 'suite-cpu.jsonl')

# (kind, pattern on the command line), first match wins.
KINDS = [
    ('temporal dev server', re.compile(r'temporal.* server start-dev')),
    ('jest worker', re.compile(r'jest-worker|processChild')),
    ('jest', re.compile(r'jest(\.js)?\b')),
    ('worker process (node)', re.compile(r'dist/workers/')),
    ('workflow bundle (node)', re.compile(r'--bundle-workflows')),
    ('cli / other node', re.compile(r'^\S*node\b')),
    ('engine host', re.compile(r'engine_host')),
    ('ffprobe', re.compile(r'ffprobe')),
    ('ffmpeg', re.compile(r'ffmpeg')),
    ('piper', re.compile(r'\bpiper\b')),
    ('espeak-ng', re.compile(r'espeak')),
    ('minio', re.compile(r'minio')),
    ('chromium', re.compile(r'chrom')),
    ('nginx', re.compile(r'nginx')),
    ('python other', re.compile(r'python')),
]


def kind_of(cmdline: str) -> str:
    for kind, pattern in KINDS:
        if pattern.search(cmdline):
            return kind
    return 'other: ' + os.path.basename(cmdline.split(' ')[0])[:30]


def engine_host_kind(pid: int) -> str:
    """Engine hosts share one command line; onnxruntime in their memory (piper, Kokoro, Silero, CAM++; Whisper
    alone never loads it) tells them apart, roughly (the last sample wins)."""
    try:
        with open(f'/proc/{pid}/maps') as f:
            maps = f.read()
    except OSError:
        return 'engine host'
    if 'onnxruntime' in maps:
        return 'engine host: onnx models (piper/Kokoro/Silero/CAM++)'
    return ENGINE_HOST_NO_ONNX


ENGINE_HOST_NO_ONNX = 'engine host: no onnx (Whisper or idle)'


def proc_table():
    """pid -> (ppid, own cpu ticks, cmdline) for every live process."""
    table = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                stat = f.read()
            fields = stat[stat.rindex(')') + 2:].split(' ')
            with open(f'/proc/{name}/cmdline', 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
            table[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), cmd)
        except (OSError, ValueError, IndexError):
            pass
    return table


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.seen = {}  # pid -> (kind, last own ticks); a reused pid is a new key once its cmdline differs
        self.stop = threading.Event()

    def sample(self):
        me = os.getpid()
        table = proc_table()
        for pid, (ppid, ticks, cmd) in table.items():
            p, depth = ppid, 0
            while p and p != me and depth < 64:
                p, depth = table.get(p, (0,))[0], depth + 1
            if p != me or not cmd:
                continue
            key = (pid, cmd)
            before = self.seen.get(key)
            kind = before[0] if before and before[0] != ENGINE_HOST_NO_ONNX else kind_of(cmd)
            if kind == 'engine host':
                # maps is long (a host's libraries): read while the host is not known to hold onnxruntime, which it
                # keeps once loaded
                kind = engine_host_kind(pid)
            self.seen[key] = (kind, max(ticks, before[1] if before else 0))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.5)


def main(argv):
    out, record = None, False
    while argv and argv[0] != '--':
        flag = argv.pop(0)
        if flag == '--json':
            out = argv.pop(0)
        elif flag == '--record':
            record = True
        elif flag == '--write-times':
            return write_times()
        else:
            sys.exit(f'unknown flag {flag}\n{__doc__}')
    cmd = argv[1:]
    if not cmd:
        sys.exit(__doc__)
    try:
        reaper = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        reaper = False
    if not reaper:  # the command still runs; orphans' CPU is then missing from the total
        print('[suite-cpu] not a subreaper here: orphaned processes are not counted', file=sys.stderr)
    sampler = Sampler()
    started = time.time()
    sampler.start()
    child = subprocess.Popen(cmd)
    signal.signal(signal.SIGINT, lambda *_: child.send_signal(signal.SIGINT))
    status = None
    lingering_since = None
    while True:
        try:
            pid, st, _ = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(st)
            lingering_since = time.time()
        if pid == 0:
            # The command is done but something it started still runs: give it 10 s (a dev server stopping), then say so.
            if lingering_since and time.time() - lingering_since > 10:
                sampler.sample()
                break
            time.sleep(0.1)
    wall = time.time() - started
    sampler.stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    by = {}
    for kind, ticks in sampler.seen.values():
        by[kind] = by.get(kind, 0) + ticks / HZ
    live = [k for k in proc_table() if k != os.getpid()]
    still = {kind for (pid, _), (kind, _) in sampler.seen.items() if pid in live}
    by['unsampled (short processes)'] = max(0.0, total - sum(by.values()))
    result = {
        'command': ' '.join(cmd), 'exit': status, 'wallSec': round(wall, 1), 'treeCpuSec': round(total, 1),
        'treeCpuBy': {k: round(v, 1) for k, v in sorted(by.items(), key=lambda kv: -kv[1]) if v >= 0.05},
        'maxRssMB': round(usage.ru_maxrss / 1024), 'at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'loadavg': open('/proc/loadavg').read().split()[:3],
    }
    if still:
        result['stillRunning'] = sorted(still)  # not reaped: their CPU is in the split, not the total
    print(f"[suite-cpu] {result['wallSec']} s wall, {result['treeCpuSec']} CPU-s (whole tree), exit {status}", file=sys.stderr)
    for k, v in result['treeCpuBy'].items():
        print(f'[suite-cpu]   {v:8.1f}  {k}', file=sys.stderr)
    if out:
        with open(out, 'w') as f:
            json.dump(result, f, indent=1)
    if record:
        suites = [a for a in cmd if a.endswith('.test.js')]
        os.makedirs(os.path.dirname(RECORDS), exist_ok=True)
        with open(RECORDS, 'a') as f:
            f.write(json.dumps({**result, 'suites': [s[s.index('test/'):] for s in suites]}) + '\n')
    return status if status is not None else 1


def write_times():
    """Folds the latest whole-tree record of each suite run alone into test/suite-times.json."""
    path = os.path.join(ROOT, 'test', 'suite-times.json')
    with open(path) as f:
        times = json.load(f)
    latest = {}
    with open(RECORDS) as f:
        for line in f:
            r = json.loads(line)
            if len(r.get('suites', [])) == 1 and r.get('exit') == 0:
                latest[r['suites'][0]] = r
    for suite, r in latest.items():
        row = times.setdefault(suite, {'wallSec': r['wallSec'], 'cpuSec': r['treeCpuSec']})
        row['treeCpuSec'] = r['treeCpuSec']
        row['treeCpuBy'] = r['treeCpuBy']
        row['treeMeasuredAt'] = r['at']
    with open(path, 'w') as f:
        json.dump(dict(sorted(times.items())), f, indent=1)
        f.write('\n')
    print(f'[suite-cpu] {len(latest)} suites updated in {path}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
