#!/usr/bin/env python3
"""A stand-in for engines/host/engine_host.py in the engine host pool's tests: the same line protocol (a ready line,
then one JSON answer per JSON request on stdin) with no model behind it. `ping` answers after `sleep` seconds, so a
test can hold the only host busy. Started the way the pool starts the real one: `<python> -u <engine_host.py>`."""
import json
import sys
import time

if sys.argv[1:2] != ["-u"] or not sys.argv[2:3] or not sys.argv[2].endswith("engines/host/engine_host.py"):
    sys.exit(f"usage: {sys.argv[0]} -u .../engines/host/engine_host.py (got {sys.argv[1:]})")

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req.get("op") == "cancel":
        continue
    if req.get("op") != "ping":
        print(json.dumps({"id": req.get("id"), "ok": False, "kind": "failed", "error": f"the stand-in has no op {req.get('op')!r}"}), flush=True)
        continue
    time.sleep(float(req.get("sleep", 0)))
    print(json.dumps({"id": req.get("id"), "ok": True, "result": {"pong": True}}), flush=True)
