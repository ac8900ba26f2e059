// Optional OpenTelemetry traces through Temporal's own interceptors: one trace per job run, from the workflow's
// run to every activity on every host (the trace context rides in Temporal's headers). Workers only: a client
// that wants its start in the trace installs the same plugin on its own Client.
// Spans go over OTLP/HTTP to the collector the standard OTEL_EXPORTER_OTLP_* variables name (Jaeger, Tempo, …).
import { createRequire } from 'node:module';
import os from 'node:os';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Settings } from '../config/schema.js';

/** The workflow-side interceptors, bundled into the workflow code when tracing is on (they add headers, no commands). */
export const TRACING_WORKFLOW_MODULE = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  plugin: OpenTelemetryPlugin;
  /** Sends what is still buffered; called when the workers or the client stop. */
  shutdown(): Promise<void>;
}

/** Where the OTLP exporter sends spans, as the OpenTelemetry specification resolves it from the environment. */
export function tracesEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318').replace(/\/$/, '')}/v1/traces`;
}

/** The tracing plugin for a worker or a client, or undefined when DUB_OTEL_TRACES is off. */
export async function tracingFor(settings: Settings, serviceName: string): Promise<Tracing | undefined> {
  if (!settings.tracing.otlp) return undefined;
  // Loaded only when tracing is on: the SDK cost every worker start ~0.15 CPU-s (docs/TESTING.md).
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { Resource }, { BasicTracerProvider, BatchSpanProcessor }, { OpenTelemetryPlugin }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'), import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'), import('@temporalio/interceptors-opentelemetry'),
  ]);
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const resource = new Resource({
    'service.name': process.env.OTEL_SERVICE_NAME ?? serviceName,
    'host.name': os.hostname().split('.')[0],
  });
  // Activity spans come from this tracer. register() installs the W3C propagator that reads the parent span from
  // the headers the workflow's interceptors wrote, and a context manager so that parent is the active one when
  // the activity's span starts. Workflow spans reach the processor through the plugin's sink.
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  const tracer = provider.getTracer('anime-dub');
  return { plugin: new OpenTelemetryPlugin({ resource, spanProcessor, tracer }), shutdown: () => provider.shutdown() };
}
