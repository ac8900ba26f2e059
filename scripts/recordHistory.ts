// Records a finished dubJob's history into test/replay/ (the Temporal CLI's JSON), for the replay test
// that guards determinism. Usage: node dist/scripts/recordHistory.js WORKFLOW_ID [ADDRESS] [NAME]
// Rerun when a workflow change is intended, and keep older files too: running jobs' histories must still replay
// (the test replays every test/replay/*.history.json). NAME defaults to dubJob-<date>.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../engines/run.js';
import { temporalCliPath } from '../client/devServer.js';
import { loadSettings } from '../config/load.js';

const [id, address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', name = `dubJob-${new Date().toISOString().slice(0, 10)}`] = process.argv.slice(2);
if (!id) {
  console.error('usage: recordHistory WORKFLOW_ID [ADDRESS] [NAME]   (writes test/replay/NAME.history.json)');
  process.exit(2);
}
const { stdout } = await run([temporalCliPath(loadSettings()), 'workflow', 'show', '--address', address, '--workflow-id', id, '-o', 'json']);
const events = JSON.parse(stdout).events?.length;
const out = path.resolve('test/replay', `${name}.history.json`);
await writeFile(out, stdout);
console.log(`wrote ${out} (${events} events)`);
