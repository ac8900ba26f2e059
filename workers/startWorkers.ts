// Builds the Workers one process runs: one per queue role, sharing one connection.
// Entry points (all.ts, cpu.ts, gpu.ts) only pick the roles.
import { execFile } from 'node:child_process';
import { tempName } from '../engines/tempNames.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type TelemetryOptions } from '@temporalio/worker';
import { createActivities } from '../activities/create.js';
import type { Settings } from '../config/schema.js';
import { closeEngineHosts } from '../engines/engineHost.js';
import { MirroredJobFolders, RetryDiscipline, TrustedJobInput } from './interceptors.js';
import { openArtifactStore, S3Store, storeSettingsOf } from '../storage/artifactStore.js';
import { JobFolderMirror } from '../storage/jobMirror.js';
import { connectionOptionsOf, resolveTemporalTarget, withConnectionErrors, type TemporalTarget } from '../config/connection.js';
import type { WorkerRole } from './roles.js';
import { runtimeTelemetry, workerIdentity } from './observability.js';
import { tracingFor, TRACING_WORKFLOW_MODULE } from './tracing.js';

export { ALL_ROLES, parseRoles, temporalAddress, type WorkerRole } from './roles.js';

let runtimeInstalled = false;
/** Once per process (the SDK allows one runtime): the first startWorkers call decides logging and metrics. */
function installRuntime(level: LogLevel, handleSignals: boolean, telemetryOptions?: TelemetryOptions): void {
  if (runtimeInstalled) return;
  // Worker processes stop gracefully on SIGINT/SIGTERM; the CLI handles Ctrl-C itself (it cancels the job first).
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: handleSignals ? ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] : [], ...(telemetryOptions ? { telemetryOptions } : {}) });
  runtimeInstalled = true;
}

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
const DIST = fileURLToPath(new URL('..', import.meta.url));
const PROJECT = path.dirname(DIST);
const BUNDLE_DIR = path.join(DIST, '.workflow-bundle');
/**
 * The SDK packages the bundle is built around. What else it holds (today nexus-rpc, long, ms; never zod) comes
 * in through them and is pinned by the lock file, which is hashed whole: no hand-kept list to go stale.
 */
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => path.join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name)).sort();
}

/** A key for the bundle's inputs: the compiled workflows and the pure code they import, and package versions. */
async function bundleKey(tracing: boolean): Promise<string> {
  const h = createHash('sha256').update(tracing ? 'otel\0' : '');
  for (const dir of ['workflows', 'lib', 'config']) {
    for (const file of await jsFiles(path.join(DIST, dir))) h.update(path.relative(DIST, file)).update('\0').update(await readFile(file)).update('\0');
  }
  for (const pkg of SDK_PACKAGES) {
    h.update(pkg).update(await readFile(path.join(PROJECT, 'node_modules', pkg, 'package.json'), 'utf8').then((t) => JSON.parse(t).version as string, () => '?'));
  }
  h.update(await readFile(path.join(PROJECT, 'package-lock.json')).catch(() => Buffer.alloc(0)));
  return h.digest('hex').slice(0, 24);
}

/**
 * The workflow code, bundled once and kept in dist/.workflow-bundle/ (keyed by its inputs): a worker then starts
 * without webpack, in well under a second, and never carries webpack's memory. The bundle is made in a short-lived
 * child process; when that cannot be done (a read-only install) the worker bundles in process as before.
 */
export async function prebundledWorkflows(tracing = false): Promise<{ codePath: string } | undefined> {
  try {
    // With tracing the bundle also holds the OpenTelemetry workflow interceptors: a variant of its own.
    const variant = tracing ? 'workflows-otel-' : 'workflows-';
    const codePath = path.join(BUNDLE_DIR, `${variant}${await bundleKey(tracing)}.js`);
    if (!existsSync(codePath)) {
      await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), BUNDLE_FLAG, codePath, ...(tracing ? [TRACING_FLAG] : [])], { timeout: 300_000, maxBuffer: 16 << 20 });
      for (const old of await readdir(BUNDLE_DIR)) {
        const sameVariant = old.startsWith(variant) && (tracing || !old.startsWith('workflows-otel-'));
        if (old !== path.basename(codePath) && sameVariant) await rm(path.join(BUNDLE_DIR, old), { force: true });
      }
    }
    return { codePath };
  } catch {
    return undefined;
  }
}

const BUNDLE_FLAG = '--bundle-workflows';
const TRACING_FLAG = '--with-tracing';

/** `node dist/workers/startWorkers.js --bundle-workflows OUT [--with-tracing]`: what prebundledWorkflows() runs. */
async function writeBundle(out: string, tracing: boolean): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(tracing ? { workflowInterceptorModules: [TRACING_WORKFLOW_MODULE] } : {}),
    logger: new DefaultLogger('WARN'),
  });
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = tempName(out);
  await writeFile(tmp, code);
  await rename(tmp, out);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === BUNDLE_FLAG) {
  writeBundle(process.argv[3], process.argv[4] === TRACING_FLAG).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
}

export interface RunningWorkers {
  workers: Worker[];
  /** Where they poll: address, namespace and the profile it came from. */
  target: TemporalTarget;
  /** Resolves when every worker has stopped (after shutdown() or a SIGINT/SIGTERM). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(
  settings: Settings,
  roles: WorkerRole[],
  opts: { identity?: string; logLevel?: LogLevel; handleSignals?: boolean } = {},
): Promise<RunningWorkers> {
  installRuntime(opts.logLevel ?? (process.env.DUB_LOG_LEVEL as LogLevel) ?? 'ERROR', opts.handleSignals ?? true, runtimeTelemetry(settings, roles));
  const target = resolveTemporalTarget(settings);
  const connection = await withConnectionErrors(target, () => NativeConnection.connect(connectionOptionsOf(target)));
  const throttle = settings.heartbeatThrottleSec * 1000;
  const common = { connection, namespace: target.namespace, shutdownGraceTime: '10s' as const };
  const identity = (role: WorkerRole) => opts.identity ?? workerIdentity(role);
  const tracing = await tracingFor(settings, 'anime-dub-worker');
  const plugins = tracing ? { plugins: [tracing.plugin] } : {};

  // With the s3 store every activity's job folder is mirrored through it (docs/DEPLOY.md); the shared folder needs nothing.
  const activityRoles = roles.filter((r) => r !== 'workflows');
  const store = activityRoles.length ? await openArtifactStore(storeSettingsOf(settings), settings.outputDir) : undefined;
  const mirror = store instanceof S3Store ? new JobFolderMirror(store, settings.outputDir) : undefined;
  const activities = createActivities({ store, mirror });
  const activityInterceptors = [
    ...(mirror ? [
      () => ({ inbound: new TrustedJobInput(settings, { disk: false, toLocal: (v) => mirror.toLocal(v) }) }),
      () => ({ inbound: new MirroredJobFolders(mirror) }),
    ] : []),
    () => ({ inbound: new TrustedJobInput(settings) }),
    () => ({ inbound: new RetryDiscipline() }),
  ];

  const workers: Worker[] = [];
  for (const role of roles) {
    if (role === 'workflows') {
      const workflowBundle = await prebundledWorkflows(Boolean(tracing));
      workers.push(await Worker.create({
        ...common,
        ...plugins,
        identity: identity(role),
        taskQueue: settings.queues.workflows,
        ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
        maxConcurrentWorkflowTaskExecutions: settings.concurrency.workflows,
      }));
    } else {
      workers.push(await Worker.create({
        ...common,
        ...plugins,
        identity: identity(role),
        taskQueue: settings.queues[role],
        activities,
        interceptors: { activity: activityInterceptors },
        maxConcurrentActivityTaskExecutions: settings.concurrency[role],
        maxHeartbeatThrottleInterval: throttle,
        defaultHeartbeatThrottleInterval: throttle,
      }));
    }
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await closeEngineHosts(); // the warm model processes end with the worker
    await tracing?.shutdown().catch(() => undefined);
    await connection.close();
  });
  return {
    workers,
    target,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
