import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadSettings, resolveJobOptions } from '../../config/load.js';
import { DEFAULT_PLACEMENT, queueKindOf, type Placement } from '../../config/schema.js';

describe('config', () => {
  it('has working defaults with an empty environment', () => {
    const s = loadSettings({});
    expect(s.queues).toEqual({ workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu' });
    expect(s.placement).toEqual(DEFAULT_PLACEMENT);
    expect(s.temporal.address).toBeUndefined();
    expect(s.stateDir).toBe('.anime-dub');
    expect(s.job.src).toBe('en');
  });

  it('reads every setting from its documented env name', () => {
    const s = loadSettings({ TEMPORAL_ADDRESS: 'tmp:7233', DUB_QUEUE_GPU: 'gpu-a100', DUB_GPU_CONCURRENCY: '1', TGT_LANG: 'fr', DUB_PLACEMENT: 'transcribe=cpu, synthesizeLine=cpu', FIT_MAX_SPEED: '1.2' });
    expect(s.temporal.address).toBe('tmp:7233');
    expect(s.queues.gpu).toBe('gpu-a100');
    expect(s.concurrency.gpu).toBe(1);
    expect(s.job.tgt).toBe('fr');
    expect(s.job.fit.maxSpeed).toBe(1.2);
    expect(s.placement.transcribe).toBe('cpu');
    expect(s.placement.dubLines).toBe('cpu'); // synthesizeLine, dubLines' former name, still places it
    expect(s.placement.mixDub).toBe('cpu');
  });

  it('places dubLines by its own name or by its former one, synthesizeLine (also in a job from before the rename)', () => {
    expect(loadSettings({ DUB_PLACEMENT: 'dubLines=cpu' }).placement.dubLines).toBe('cpu');
    expect(loadSettings({ DUB_PLACEMENT: 'dubLines=gpu,synthesizeLine=cpu' }).placement.dubLines).toBe('gpu');
    // Written under the former name too: a worker still on the former code places dubLines the same.
    expect(loadSettings({ DUB_PLACEMENT: 'dubLines=cpu' }).placement.synthesizeLine).toBe('cpu');
    const before = { ...DEFAULT_PLACEMENT, dubLines: undefined, synthesizeLine: 'cpu' } as unknown as Placement;
    expect(queueKindOf(before, 'dubLines')).toBe('cpu');
    expect(queueKindOf(DEFAULT_PLACEMENT, 'dubLines')).toBe('gpu');
    expect(queueKindOf(DEFAULT_PLACEMENT, 'releaseJob')).toBe('cpu');
  });

  it('names every bad key and what it allows, in one error', () => {
    let message = '';
    try {
      loadSettings({ DUB_CPU_CONCURRENCY: 'two', FIT_MAX_SPEED: '9', TGT_LANG: 'Spanish', DUB_PLACEMENT: 'transcribe=tpu' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/concurrency\.cpu/);
    expect(message).toMatch(/"two"/);
    expect(message).toMatch(/job\.fit\.maxSpeed/);
    expect(message).toMatch(/job\.tgt: a 2- or 3-letter language code/);
    expect(message).toMatch(/placement\.transcribe/);
  });

  it('resolves per-job options over the defaults with absolute paths', () => {
    const s = loadSettings({ SYNTH_CONCURRENCY: '3' });
    const o = resolveJobOptions(s, { video: 'in/ep1.mkv', tgt: 'ca', fit: { guardMs: 50 } }, '/data');
    expect(o.video).toBe('/data/in/ep1.mkv');
    expect(o.outputDir).toBeUndefined(); // the root is the worker's; job input names at most a sub-folder
    expect(o.tgt).toBe('ca');
    expect(o.synthesisConcurrency).toBe(3);
    expect(o.fit).toEqual({ maxSpeed: 1.25, minSpeed: 0.9, condense: true, guardMs: 50, fadeMs: 30 });
  });

  it('rejects a job without a video', () => {
    expect(() => resolveJobOptions(loadSettings({}), { video: '' })).toThrow(/video/);
  });
});
