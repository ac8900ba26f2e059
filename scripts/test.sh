#!/usr/bin/env bash
# Sets up like the demo, then runs every test suite (unit, integration against a real Temporal dev server
# that the test setup starts, end-to-end with the real engines). Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

mkdir -p test/.cache
results=test/.cache/jest-results.json
rm -f "$results"
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json --outputFile="$results" "$@"
status=$?

if [ -s "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    console.log(`${r.numPassedTests} passed, ${failed} failed`);
  ' "$results"
else
  echo "0 passed, 1 failed"
  [ $status -eq 0 ] && status=1
fi
exit $status
