// OpenTelemetry traces (DUB_OTEL_TRACES, off by default): a worker sends one trace per job over OTLP/HTTP, the
// workflow's span the parent of every activity's. A real dev server, a real worker process, and a small OTLP
// receiver standing in for a collector (it keeps what the exporter posts to /v1/traces).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toneClip } from '../fixtures/toneClip.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: { stringValue?: string } }[] }
interface ExportRequest { resourceSpans: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Span[] }[] }[] }

describe('tracing (a worker with DUB_OTEL_TRACES=1, spans to an OTLP/HTTP receiver)', () => {
  const queues = queuesFor('tracing');
  const spans: Span[] = [];
  const services = new Set<string>();
  let receiver: http.Server;
  let worker: WorkerProcess;
  let workflowId: string;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
          const sent = JSON.parse(body) as ExportRequest;
          for (const rs of sent.resourceSpans) {
            const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
            if (service) services.add(service);
            for (const ss of rs.scopeSpans) spans.push(...ss.spans);
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    worker = await startWorker('all', queues, { DUB_OTEL_TRACES: '1', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
    expect(worker.output()).toContain(`traces to ${endpoint}/v1/traces`);
    const clip = await toneClip();
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('tracing'), {
      subs: clip.subs, translatedSubs: clip.translatedSubs, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' },
    }), queues);
    workflowId = handle.workflowId;
    await handle.result();
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
    receiver?.close();
  });

  it('one trace holds the workflow run and every activity it ran, each activity under the workflow', async () => {
    const run = await waitFor('the workflow span', async () => spans.find((s) => s.name === 'RunWorkflow:dubJob'), 30_000, 300);
    const mux = await waitFor('the last stages\' spans', async () => spans.find((s) => s.name === 'RunActivity:muxOutputs' && s.traceId === run.traceId), 30_000, 300);
    const inTrace = spans.filter((s) => s.traceId === run.traceId);
    const activities = new Set(inTrace.filter((s) => s.name.startsWith('RunActivity:')).map((s) => s.name.slice('RunActivity:'.length)));
    for (const name of ['prepareJob', 'extractAudio', 'importSubtitles', 'translateLines', 'dubLines', 'assembleDub', 'mixDub', 'muxOutputs']) {
      expect(activities).toContain(name);
    }
    // Each RunActivity span's parent is the workflow's StartActivity span for it, itself inside the run.
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    expect(byId.get(mux.parentSpanId!)?.name).toBe('StartActivity:muxOutputs');
    expect(mux.attributes?.find((a) => a.key === 'temporalWorkflowId')?.value.stringValue).toBe(workflowId);
    expect(services).toContain('anime-dub-worker');
  });
});
