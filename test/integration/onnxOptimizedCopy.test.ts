// The engine host's optimized copies of its ONNX models (engines/host/onnx_options.py, cpu_session): the first
// host on a machine optimizes Kokoro's graph and keeps the result; the next host loads that copy and says the
// same line byte for byte. A damaged copy is made again; a cache folder that cannot be written costs only the
// saving; a voice a job names outside the worker's models folder gets no copy. Each case has a cache root of its
// own (XDG_CACHE_HOME), so nothing here touches the machine's.
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ENGINE_PYTHON, EngineHostPool } from '../../engines/engineHost.js';
import { modelsDir } from '../../engines/bundledModels.js';
import { kokoroFiles, kokoroRequest } from '../../engines/kokoro.js';
import { tempDir } from '../support/jobs.js';

type Ping = { onnxModels: Record<string, string> };

describe('optimized copies of the engine host ONNX models', () => {
  let pool: EngineHostPool | undefined;
  const saved = process.env.XDG_CACHE_HOME;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  /** One Kokoro line from a new host whose cache root is `cacheRoot`: the WAV's bytes and how the model loaded. */
  async function sayOnce(cacheRoot: string, out: string): Promise<{ wav: Buffer; loaded: string }> {
    process.env.XDG_CACHE_HOME = cacheRoot; // the host inherits the worker's environment
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 1, threads: 1 });
    const files = await kokoroFiles();
    await pool.request('kokoro', kokoroRequest(files, out, 'Hello there.', 'en', { voice: 'jf_alpha' }), { modelKey: 'kokoro', what: 'Kokoro', oneCopy: true });
    const ping = await pool.request<Ping>('ping', {}, { modelKey: 'kokoro', what: 'ping' });
    await pool.close();
    pool = undefined;
    return { wav: await readFile(out), loaded: ping.onnxModels[files.model] };
  }

  it('the first host saves the optimized copy, the next loads it and says the same line byte for byte', async () => {
    const dir = await tempDir('onnx-copy');
    const cache = path.join(dir, 'cache');
    const first = await sayOnce(cache, path.join(dir, 'first.wav'));
    expect(first.loaded).toBe('optimized, copy saved');
    const copies = await readdir(path.join(cache, 'anime-dub', 'onnx-optimized'));
    expect(copies).toEqual([expect.stringMatching(/^kokoro-v1\.0\.int8-[0-9a-f]{20}\.onnx$/)]);

    const second = await sayOnce(cache, path.join(dir, 'second.wav'));
    expect(second.loaded).toBe('optimized copy');
    expect(second.wav.equals(first.wav)).toBe(true);

    // A damaged copy (a disk error, a killed writer of an older build) is replaced, and the line is still the same.
    await writeFile(path.join(cache, 'anime-dub', 'onnx-optimized', copies[0]), 'not a model');
    const third = await sayOnce(cache, path.join(dir, 'third.wav'));
    expect(third.loaded).toBe('optimized, copy saved');
    expect(third.wav.equals(first.wav)).toBe(true);
    expect(await readdir(path.join(cache, 'anime-dub', 'onnx-optimized'))).toEqual(copies); // no part file left
  }, 120_000);

  it('a voice a job names outside the worker\'s models folder loads as before, and no copy of it is written', async () => {
    const dir = await tempDir('onnx-elsewhere');
    const cache = path.join(dir, 'cache');
    process.env.XDG_CACHE_HOME = cache;
    const bundled = path.join(modelsDir(), 'piper', 'en_US-joe-medium.onnx');
    const voice = path.join(dir, 'voice.onnx'); // the same voice, named from elsewhere
    await symlink(bundled, voice);
    await symlink(`${bundled}.json`, `${voice}.json`);
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 1, threads: 1 });
    await pool.request('synthesize', { model: voice, text: 'Hello there.', out: path.join(dir, 'line.wav'), lengthScale: 1, speakerId: null, device: 'cpu' }, { modelKey: 'piper', what: 'piper' });
    const ping = await pool.request<Ping>('ping', {}, { modelKey: 'piper', what: 'ping' });
    expect(ping.onnxModels[voice]).toBe('as is');
    expect(existsSync(path.join(cache, 'anime-dub', 'onnx-optimized'))).toBe(false);
  }, 120_000);

  it('a cache folder that cannot be made loads the model as before', async () => {
    const dir = await tempDir('onnx-nocache');
    const notADir = path.join(dir, 'file');
    await writeFile(notADir, 'a file where the cache folder would go');
    const got = await sayOnce(notADir, path.join(dir, 'line.wav'));
    expect(got.loaded).toBe('as is');
    expect(got.wav.length).toBeGreaterThan(10_000);
  }, 120_000);
});
