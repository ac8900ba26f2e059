// Worker identity and the metrics setting, without a server.
import { describe, expect, it } from '@jest/globals';
import os from 'node:os';
import { loadSettings } from '../../config/load.js';
import { runtimeTelemetry, workerIdentity } from '../../workers/observability.js';

describe('worker observability settings', () => {
  it('metrics are off by default and on at the address DUB_METRICS_PROMETHEUS names', () => {
    expect(runtimeTelemetry(loadSettings({}), ['cpu'])).toBeUndefined();
    const on = runtimeTelemetry(loadSettings({ DUB_METRICS_PROMETHEUS: '0.0.0.0:9464' }), ['workflows', 'gpu']);
    expect(on?.metrics).toMatchObject({ prometheus: { bindAddress: '0.0.0.0:9464' }, globalTags: { anime_dub_roles: 'workflows+gpu' } });
  });

  it('a metrics address that is not host:port is a configuration error naming the setting', () => {
    expect(() => loadSettings({ DUB_METRICS_PROMETHEUS: '9464' })).toThrow(/metrics\.prometheus: host:port such as 0\.0\.0\.0:9464 \(got "9464"\)/);
  });

  it('a worker is named by role and host (and GPU when CUDA_VISIBLE_DEVICES pins one); DUB_WORKER_IDENTITY wins', () => {
    const host = os.hostname().split('.')[0];
    expect(workerIdentity('cpu', {})).toBe(`cpu@${host}-${process.pid}`);
    expect(workerIdentity('gpu', { CUDA_VISIBLE_DEVICES: '1' })).toBe(`gpu/cuda1@${host}-${process.pid}`);
    expect(workerIdentity('cpu', { CUDA_VISIBLE_DEVICES: '1' })).toBe(`cpu@${host}-${process.pid}`);
    expect(workerIdentity('gpu', { DUB_WORKER_IDENTITY: 'gpu-box-7' })).toBe('gpu-box-7');
  });
});
