// `anime-dub watch`: the server's file confinement and Range answers over raw HTTP, and the page playing a live
// EVENT playlist in Debian's headless Chromium while the "job" (this test) appends chunks to it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { run } from '../../engines/run.js';
import { concatArgv, concatEntry, segmentArgv } from '../../engines/ffmpegStream.js';
import { MANIFEST_VERSION, playlist, type ChunkEntry, type StreamManifest } from '../../lib/streamManifest.js';
import { startWatchServer, type WatchServer } from '../../client/watchServer.js';

const CHUNK_SEC = 4;
const CHUNKS = 3;
const CHROMIUM = '/usr/bin/chromium';
const name = (i: number) => `chunk_${String(i).padStart(3, '0')}`;

/**
 * A stream folder as streaming mode leaves it: chunk_NNN.mp4 (H.264 + AAC, 4 s of testsrc + a sine) and
 * chunk_NNN.ts cut from it by the pipeline's own segment argv (timestamps offset to the chunk's start).
 * Around it, files a request must never reach: ../secret.txt, ../x, sub/x and a symlink out of the folder.
 */
async function buildStreamFolder(): Promise<{ root: string; streamDir: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-watch-'));
  const streamDir = path.join(root, 'stream');
  await mkdir(path.join(streamDir, 'sub'), { recursive: true });
  await writeFile(path.join(root, 'secret.txt'), 'outside the stream folder\n');
  await writeFile(path.join(root, 'x'), 'outside the stream folder\n');
  await writeFile(path.join(streamDir, 'sub', 'x'), 'in a sub folder\n');
  await symlink(path.join(root, 'secret.txt'), path.join(streamDir, 'chunk_999.ts'));
  for (let i = 0; i < CHUNKS; i++) {
    const start = i * CHUNK_SEC;
    const mp4 = path.join(streamDir, `${name(i)}.mp4`);
    await run([
      'ffmpeg', '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-ss', String(start), '-t', String(CHUNK_SEC),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-movflags', '+faststart', mp4,
    ], { timeoutMs: 60_000 });
    await run(segmentArgv(mp4, start, path.join(streamDir, `${name(i)}.ts`)), { timeoutMs: 60_000 });
  }
  const list = path.join(root, 'concat.txt');
  await writeFile(list, Array.from({ length: CHUNKS }, (_, i) => concatEntry(path.join(streamDir, `${name(i)}.mp4`))).join('\n') + '\n');
  await run(concatArgv(list, path.join(streamDir, 'stream.final.mp4')), { timeoutMs: 60_000 });
  return { root, streamDir };
}

/** Publishes the first `done` chunks the way the job does: manifest, then playlist, each renamed into place. */
async function publish(streamDir: string, done: number): Promise<void> {
  const finished = done === CHUNKS;
  const entries: ChunkEntry[] = Array.from({ length: CHUNKS }, (_, i) => ({
    index: i,
    start: i * CHUNK_SEC,
    end: (i + 1) * CHUNK_SEC,
    status: i < done ? 'done' : i === done ? 'running' : 'pending',
    ...(i < done ? { files: { mp4: `${name(i)}.mp4`, ts: `${name(i)}.ts` }, video: 'copy' as const, lines: 2 } : {}),
    timings: {},
  }));
  const manifest: StreamManifest = {
    version: MANIFEST_VERSION,
    job: 'watch-test',
    workflowId: 'stream-watch-test',
    source: { path: '/videos/watch-test.mp4', durationSec: CHUNKS * CHUNK_SEC },
    plan: { chunkSeconds: CHUNK_SEC, overlapSeconds: 0, concurrency: 1, dryRun: false, chunks: CHUNKS },
    status: finished ? 'done' : 'running',
    chunks: entries,
    ...(finished ? { final: 'stream/stream.final.mp4' } : {}),
    updatedAt: new Date().toISOString(),
  };
  const atomic = async (file: string, text: string) => {
    await writeFile(path.join(streamDir, `.${file}.tmp`), text);
    await rename(path.join(streamDir, `.${file}.tmp`), path.join(streamDir, file));
  };
  await atomic('manifest.json', JSON.stringify(manifest, null, 2));
  await atomic('index.m3u8', playlist(entries, finished));
}

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** node:http sends the path exactly as given (fetch would normalize "/../x" to "/x" before it left). */
function raw(port: number, rawPath: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch server: serves only the stream folder\'s own files, with Range support', () => {
  let root: string;
  let streamDir: string;
  let server: WatchServer;
  beforeAll(async () => {
    ({ root, streamDir } = await buildStreamFolder());
    await publish(streamDir, 1);
    server = await startWatchServer(streamDir);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('answers 404 for ../, %2e%2e, sub folders, absolute paths, symlinks out of the folder and other names', async () => {
    const refused = [
      '/../package.json', '/../../package.json', '/%2e%2e/x', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt', '/..%5csecret.txt',
      '/sub/x', '/sub%2fx', '//etc/passwd', '/%2fetc%2fpasswd', '/chunk_999.ts', '/secret.txt', '/x', '/.index.m3u8.tmp',
      '/chunk_000.ts/', '/chunk_000.ts%00', '/%E0%A4%A', '/package.json',
    ];
    for (const p of refused) {
      const res = await raw(server.port, p);
      expect({ path: p, status: res.status }).toEqual({ path: p, status: 404 });
      expect(res.body.toString()).not.toContain('outside the stream folder');
    }
  });

  it('serves the page, hls.js, playlist, manifest and chunks with their content types; no-cache on the live files', async () => {
    const expectations: [string, string, boolean][] = [
      ['/', 'text/html; charset=utf-8', true],
      ['/hls.min.js', 'text/javascript; charset=utf-8', false],
      ['/index.m3u8', 'application/vnd.apple.mpegurl', true],
      ['/manifest.json', 'application/json', true],
      ['/chunk_000.ts', 'video/mp2t', false],
      ['/chunk_000.mp4', 'video/mp4', false],
      ['/stream.final.mp4', 'video/mp4', false],
    ];
    for (const [p, type, noCache] of expectations) {
      const res = await raw(server.port, p);
      expect({ path: p, status: res.status, type: res.headers['content-type'] }).toEqual({ path: p, status: 200, type });
      expect(res.headers['cache-control']).toBe(noCache ? 'no-cache' : undefined);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
    }
    expect((await raw(server.port, '/index.m3u8')).body.toString()).toBe(await readFile(path.join(streamDir, 'index.m3u8'), 'utf8'));
    expect((await raw(server.port, '/index.m3u8?t=1')).status).toBe(200); // hls.js may add a query string
  });

  it('answers Range requests with 206 and the exact bytes, 416 past the end, and HEAD without a body', async () => {
    const file = await readFile(path.join(streamDir, 'chunk_001.mp4'));
    const first = await raw(server.port, '/chunk_001.mp4', { headers: { Range: 'bytes=0-99' } });
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-99/${file.length}`);
    expect(first.body.equals(file.subarray(0, 100))).toBe(true);

    const middle = await raw(server.port, '/chunk_001.mp4', { headers: { Range: 'bytes=1000-' } });
    expect(middle.status).toBe(206);
    expect(middle.body.equals(file.subarray(1000))).toBe(true);

    const tail = await raw(server.port, '/chunk_001.mp4', { headers: { Range: 'bytes=-500' } });
    expect(tail.headers['content-range']).toBe(`bytes ${file.length - 500}-${file.length - 1}/${file.length}`);
    expect(tail.body.equals(file.subarray(file.length - 500))).toBe(true);

    const past = await raw(server.port, '/chunk_001.mp4', { headers: { Range: `bytes=${file.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${file.length}`);

    const head = await raw(server.port, '/chunk_001.mp4', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.headers['accept-ranges'], head.body.length]).toEqual([200, String(file.length), 'bytes', 0]);
  });

  it('refuses other methods (405) and other host names on a loopback address (403, against DNS rebinding)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await raw(server.port, '/index.m3u8', { method });
      expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD']);
    }
    expect((await raw(server.port, '/index.m3u8', { headers: { Host: 'evil.example:80' } })).status).toBe(403);
    expect((await raw(server.port, '/index.m3u8', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200);
  });
});

interface PageState { status: string; state: string; currentTime: number; readyState: number; frames: number; width: number; error: string }

const pageState = (page: Page): Promise<PageState> => page.evaluate(() => {
  const video = document.querySelector('video')!;
  const status = document.getElementById('status')!;
  return {
    status: status.textContent ?? '',
    state: status.dataset.state ?? '',
    currentTime: video.currentTime,
    readyState: video.readyState,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    width: video.videoWidth,
    error: video.error ? `${video.error.code} ${video.error.message}` : '',
  };
});

/** Polls the page until `ok`; on timeout the error shows what the page looked like and what it logged. */
async function waitForPage(page: Page, what: string, ok: (s: PageState) => boolean, log: string[], timeoutMs = 30_000): Promise<PageState> {
  const deadline = Date.now() + timeoutMs;
  let last: PageState | undefined;
  while (Date.now() < deadline) {
    last = await pageState(page);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page: ${JSON.stringify(last)}\nbrowser log:\n${log.slice(-20).join('\n')}`);
}

describe('watch page: plays a live EVENT playlist as chunks arrive, in headless Chromium (Debian /usr/bin/chromium)', () => {
  let root: string;
  let streamDir: string;
  let server: WatchServer;
  let browser: Browser | undefined;
  let launchError: string | undefined;
  beforeAll(async () => {
    ({ root, streamDir } = await buildStreamFolder());
    await publish(streamDir, 1); // mid-run: one chunk in the playlist, no ENDLIST
    server = await startWatchServer(streamDir);
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
      });
    } catch (e) {
      launchError = e instanceof Error ? e.message : String(e);
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('starts playing mid-run, keeps playing the chunks appended later, and shows done after ENDLIST', async () => {
    if (!browser) throw new Error(`Chromium did not launch from ${CHROMIUM} (apt-get install -y chromium; scripts/setup.sh does): ${launchError}`);
    const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    const log: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => { pageErrors.push(e.message); log.push(`[pageerror] ${e.message}`); });
    page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));

    await page.goto(server.url);
    const playing = await waitForPage(page, 'the video to play past 1.5 s of the first chunk', (s) => s.currentTime > 1.5, log);
    expect(playing.frames).toBeGreaterThan(0); // video frames decoded, not only the audio clock running
    expect(playing.width).toBe(640);
    // Played through hls.js (Media Source, a blob: URL), served from our node_modules, not the browser's own HLS.
    expect(await page.evaluate(() => document.querySelector('video')!.currentSrc)).toMatch(/^blob:/);
    const midRun = await waitForPage(page, 'the manifest status', (s) => s.status.includes('1/3 chunks done'), log, 10_000);
    expect(midRun.state).toBe('running');
    expect(midRun.status).toContain('Rendering');

    await publish(streamDir, 2); // the job finishes chunk 1 while chunk 0 plays
    await new Promise((r) => setTimeout(r, 1500));
    if (process.env.WATCH_SCREENSHOT) await page.screenshot({ path: process.env.WATCH_SCREENSHOT });
    await publish(streamDir, 3); // the last chunk: status done, #EXT-X-ENDLIST

    const done = await waitForPage(page, 'the status to say done', (s) => s.state === 'done', log, 20_000);
    expect(done.status).toMatch(/^Done · 3\/3 chunks done · 0 failed/);
    // Playback crossed into the last appended chunk: the live playlist was reloaded and followed.
    const late = await waitForPage(page, 'playback to reach the third chunk (8.5 s)', (s) => s.currentTime > 8.5, log, 40_000);
    expect(late.error).toBe('');
    expect(await page.locator('#detail a').getAttribute('href')).toBe('stream.final.mp4');
    expect(pageErrors).toEqual([]);
    expect(log.filter((l) => /Content Security Policy/i.test(l))).toEqual([]);
    await page.close();
  }, 150_000);
});
