// Every committed history must replay against today's workflow code: a non-deterministic change fails here.
// The histories are the 1.0 baseline (a dubJob with expressive on, a streaming run with its chunk children),
// each file named by the workflow id it was recorded under (child ids derive from it). A change to workflow
// code after 1.0 keeps these replaying with patched() and adds a history of its own (docs/ARCHITECTURE.md).
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { prebundledWorkflows } from '../../workers/startWorkers.js';
import { PROJECT_ROOT } from '../support/env.js';

const workflowsPath = path.join(PROJECT_ROOT, 'dist', 'workflows', 'index.js');
const REPLAY_DIR = path.join(PROJECT_ROOT, 'test', 'replay');
const histories = readdirSync(REPLAY_DIR).filter((f) => f.endsWith('.history.json')).sort();

describe('workflow determinism (replay of recorded histories)', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(2);
  });

  it.each(histories)('replays %s without a non-determinism error', async (file) => {
    const json = JSON.parse(await readFile(path.join(REPLAY_DIR, file), 'utf8'));
    expect(json.events.length).toBeGreaterThan(20);
    // The Temporal CLI's JSON as it is: the SDK converts it (historyFromJSON) itself.
    // The bundle workers run (workers/startWorkers.ts, made once per build): no webpack run per history here.
    const workflowBundle = await prebundledWorkflows();
    await expect(Worker.runReplayHistory(workflowBundle ? { workflowBundle } : { workflowsPath }, json, file.replace(/\.history\.json$/, ''))).resolves.toBeUndefined();
  }, 60_000);

  // Tracing adds headers, not commands: the same histories replay with the OpenTelemetry interceptors in the
  // bundle, so workers with and without DUB_OTEL_TRACES can share queues and running jobs.
  it.each(histories)('replays %s with the OpenTelemetry workflow interceptors (DUB_OTEL_TRACES) as well', async (file) => {
    const json = JSON.parse(await readFile(path.join(REPLAY_DIR, file), 'utf8'));
    const plugin = new OpenTelemetryPlugin({ resource: new Resource({ 'service.name': 'replay' }), spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) });
    await expect(Worker.runReplayHistory({ workflowsPath, plugins: [plugin] }, json, file.replace(/\.history\.json$/, ''))).resolves.toBeUndefined();
  }, 60_000);
});
