#!/usr/bin/env bash
# Sets up what a dub needs (scripts/setup.sh), what the tests add (scripts/setup-tests.sh) and the opt-in local
# translator's model (scripts/setup-llm.sh), then runs every test
# suite (unit; workflow, integration, end-to-end and chaos tests against real Temporal dev servers that the test
# environment starts, one per jest worker; the real engines) in parallel jest workers. Prints each group's suite
# time and CPU time, then ends with one line: "N passed, N failed". Arguments go to jest (a folder, a file,
# --testNamePattern …); ANIME_DUB_TEST_WORKERS sets the number of workers (default 2).
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/setup-tests.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/setup-llm.sh || { echo "0 passed, 1 failed"; exit 1; }  # the local translator's tests
echo "[test] set up in $(( $(date +%s) - started )) s"

# The jest workers already fill the cores: one thread per model costs less CPU per line than every core (Whisper
# base is even faster so; docs/PERFORMANCE.md). A value set by the caller wins.
export ENGINE_THREADS="${ENGINE_THREADS:-1}"

mkdir -p test/.cache
results=test/.cache/jest-results.json
times=test/.cache/suite-times.jsonl
rm -f "$results"
: > "$times.run"
tests_started=$(date +%s)
# Under scripts/suite_cpu.py: the whole CPU the run cost (orphaned engines and dev servers included), split by kind
# of process, printed below and kept in test/.cache/run-cpu.json.
ANIME_DUB_SUITE_TIMES_RUN="$PWD/$times.run" python3 scripts/suite_cpu.py --json test/.cache/run-cpu.json -- \
  node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile="$results" "$@"
status=$?
echo "[test] tests ran in $(( $(date +%s) - tests_started )) s wall"

if [ -s "$results" ]; then
  node -e '
    const fs = require("fs");
    const [resultsFile, timesFile] = process.argv.slice(1);
    const rows = fs.readFileSync(timesFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const groups = new Map();
    for (const r of rows) {
      const g = r.suite.split("/")[1] ?? "?";
      const t = groups.get(g) ?? { suites: 0, wall: 0, cpu: 0 };
      t.suites++; t.wall += r.wallSec; t.cpu += r.cpuSec;
      groups.set(g, t);
    }
    if (groups.size) {
      console.log("[test] group         suites  suite time (sum)  CPU time");
      for (const [g, t] of [...groups].sort()) console.log(`[test] ${g.padEnd(13)} ${String(t.suites).padStart(6)}  ${(t.wall.toFixed(0) + " s").padStart(16)}  ${(t.cpu.toFixed(0) + " s").padStart(8)}`);
    }
    const r = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
    const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    console.log(`${r.numPassedTests} passed, ${failed} failed`);
  ' "$results" "$times.run"
else
  echo "0 passed, 1 failed"
  [ $status -eq 0 ] && status=1
fi
exit $status
