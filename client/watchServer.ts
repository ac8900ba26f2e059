// `anime-dub watch JOB`: a page on this machine that plays Output/<job>/stream/ while streaming mode renders it.
// The job rewrites stream/index.m3u8 (an EVENT playlist of chunk_NNN.ts) and stream/manifest.json after every
// chunk; the page plays the playlist with hls.js (served from our own node_modules: no internet needed) and
// shows the manifest's progress. The server hands out nothing but the files streaming mode writes there.
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hostAllowed } from './loopbackHost.js';
import { openNoFollow } from '../engines/noFollow.js';

// The exact-Host check (DNS rebinding) is shared with the UI front.
export { hostAllowed } from './loopbackHost.js';

export interface WatchServer {
  /** Where to point a browser, e.g. http://127.0.0.1:41234/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/** The names streaming mode writes into stream/ and a player reads; everything else (temp files, folders) is 404. */
const STREAM_FILE = /^(?:index\.m3u8|manifest\.json|stream\.final\.mp4|chunk_\d{3,}\.(?:ts|mp4))$/;

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.json': 'application/json',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
  '.js': 'text/javascript; charset=utf-8',
};

/** Rewritten after every chunk: a browser must ask again each time, never reuse a stale copy. */
const LIVE_FILES = new Set(['index.m3u8', 'manifest.json']);

// The page's script. Relative URLs, so the page also works behind a proxy under a path prefix.
// hls.js first (Chromium and Firefox play HLS only through Media Source Extensions), native HLS (Safari) second.
const SCRIPT = `
const video = document.getElementById('video');
const statusLine = document.getElementById('status');
const strip = document.getElementById('chunks');
const detail = document.getElementById('detail');
const state = { manifest: undefined, segments: 0, ended: false, error: '' };

const seconds = (s) => Math.floor(s / 60) + ':' + String(Math.floor(s % 60)).padStart(2, '0');

function render() {
  const m = state.manifest;
  let text;
  if (m && Array.isArray(m.chunks)) {
    const total = m.chunks.length;
    const done = m.chunks.filter((c) => c.status === 'done').length;
    const failed = m.chunks.filter((c) => c.status === 'failed').length;
    const rendered = m.chunks.filter((c) => c.files).reduce((sum, c) => sum + (c.end - c.start), 0);
    text = (m.status === 'done' ? 'Done' : 'Rendering') + ' · ' + done + '/' + total + ' chunks done · ' + failed + ' failed';
    if (m.source && m.source.durationSec) text += ' · ' + seconds(rendered) + ' of ' + seconds(m.source.durationSec) + ' ready';
    document.title = (m.status === 'done' ? '' : '⏳ ') + m.job + ' · anime-dub';
    document.getElementById('job').textContent = m.job;
    strip.replaceChildren(...m.chunks.map((c) => {
      const cell = document.createElement('span');
      cell.className = c.status;
      cell.title = 'chunk ' + c.index + ' (' + seconds(c.start) + '–' + seconds(c.end) + '): ' + c.status + (c.error ? ' — ' + c.error : '');
      return cell;
    }));
    detail.replaceChildren();
    if (failed) detail.append(failed + ' chunk(s) kept the original audio. ');
    if (m.status === 'done' && m.final) {
      const link = document.createElement('a');
      link.href = 'stream.final.mp4';
      link.textContent = 'the stitched file (stream.final.mp4)';
      detail.append('Download ', link, '. ');
    }
  } else if (state.ended) {
    text = 'Done · ' + state.segments + ' chunks (no manifest.json)';
  } else if (state.segments) {
    text = 'Rendering · ' + state.segments + ' chunks ready (no manifest.json)';
  } else {
    text = 'Waiting for the first chunk…';
  }
  statusLine.textContent = state.error ? text + ' · ' + state.error : text;
  statusLine.dataset.state = (m ? m.status === 'done' : state.ended) ? 'done' : 'running';
}

async function pollManifest() {
  try {
    const response = await fetch('manifest.json', { cache: 'no-store' });
    if (response.ok) state.manifest = await response.json();
  } catch { /* not written yet, or the server is gone: keep the last one */ }
  render();
  setTimeout(pollManifest, 2000);
}

function play() {
  video.play().catch(() => { /* autoplay refused: the controls are there */ });
}

function startHls(resumeAt) {
  const hls = new Hls({
    startPosition: resumeAt,   // a dub is watched from the start, not from the live edge
    lowLatencyMode: false,     // whole chunks, no LL-HLS parts
    liveDurationInfinity: false,
  });
  hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
    state.segments = data.details.fragments.length;
    state.ended = !data.details.live; // #EXT-X-ENDLIST seen
    state.error = '';
    render();
  });
  hls.on(Hls.Events.MANIFEST_PARSED, play);
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
      return;
    }
    // Usually the playlist is not there yet (the first chunk is still rendering): start over in a moment.
    state.error = data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR && !state.segments ? '' : 'player: ' + data.details + ', retrying';
    render();
    const at = video.currentTime;
    hls.destroy();
    setTimeout(() => startHls(at), 2000);
  });
  hls.loadSource('index.m3u8');
  hls.attachMedia(video);
}

if (window.Hls && Hls.isSupported()) {
  startHls(0);
} else if (video.canPlayType('application/vnd.apple.mpegurl')) {
  video.src = 'index.m3u8';
  video.addEventListener('loadedmetadata', play);
} else {
  state.error = 'this browser cannot play HLS';
}
pollManifest();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>anime-dub · watch</title>
<style>
  :root { color-scheme: dark; font-family: system-ui, sans-serif; }
  body { margin: 0; background: #121212; color: #ddd; }
  main { max-width: 960px; margin: 0 auto; padding: 20px; }
  h1 { font-size: 1.1rem; font-weight: 600; margin: 0 0 12px; }
  h1 small { color: #888; font-weight: 400; }
  video { display: block; width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 6px; }
  #status { margin: 14px 0 8px; }
  #status[data-state="done"]::before { content: "✓ "; color: #4c4; }
  #chunks { display: flex; gap: 3px; height: 8px; }
  #chunks span { flex: 1; border-radius: 2px; background: #333; }
  #chunks .running { background: #c90; }
  #chunks .done { background: #3a3; }
  #chunks .failed { background: #c33; }
  #detail, .hint { color: #888; font-size: 0.85rem; margin: 8px 0 0; }
  a { color: #8af; }
</style>
</head>
<body>
<main>
  <h1>anime-dub <small>watching</small> <span id="job"></span></h1>
  <video id="video" controls muted autoplay playsinline></video>
  <p id="status" role="status" aria-live="polite">Waiting for the first chunk…</p>
  <div id="chunks" aria-hidden="true"></div>
  <p id="detail"></p>
  <p class="hint">Starts muted (so the browser lets it play by itself): use the speaker button to hear the dub.
  New chunks join the playlist as they finish.</p>
</main>
<script src="hls.min.js"></script>
<script>${SCRIPT}</script>
</body>
</html>
`;

// Only our own script (by hash) runs; media come from this server or hls.js's Media Source (blob:), and hls.js
// runs its transmuxer in a blob: worker. The manifest is put on the page with textContent only.
const CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "worker-src blob:",
  "connect-src 'self'",
].join('; ');

/** One `bytes=` range clamped to the file; undefined = send it whole (no header, or one we don't take); null = 416. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | null | undefined {
  // Only a single range: a player never asks for several, and RFC 9110 lets a server answer others with 200.
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined; // malformed: ignore the header
  return start >= size ? null : { start, end };
}

/**
 * Streams one file by its open handle: the size we announce is the size of the version we send, even when
 * the job renames a new playlist into place while we are sending. O_NOFOLLOW: a symlink swapped in after the
 * check in `streamFile` is refused rather than followed.
 */
async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, headers: Record<string, string>): Promise<boolean> {
  const handle = await openNoFollow(file, 'read').catch(() => undefined);
  if (!handle) return false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return false;
    const range = byteRange(req.headers.range, info.size);
    if (range === null) {
      res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end();
      return true;
    }
    const { start, end } = range ?? { start: 0, end: info.size - 1 };
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
      'Last-Modified': info.mtime.toUTCString(),
    });
    if (req.method === 'HEAD' || info.size === 0) {
      res.end();
      return true;
    }
    // A viewer that seeks or closes the tab aborts the response mid-file: not an error worth reporting.
    await pipeline(handle.createReadStream({ start, end, autoClose: false }), res).catch(() => {});
    return true;
  } finally {
    await handle.close();
  }
}

/** A file of stream/ by its plain name; the real file must sit in the real stream folder itself. */
async function streamFile(req: http.IncomingMessage, res: http.ServerResponse, streamDir: string, name: string): Promise<boolean> {
  if (!STREAM_FILE.test(name)) return false;
  // Resolved per request: `watch` may start before the job has made its stream folder.
  const dir = await realpath(streamDir).catch(() => undefined);
  const real = dir && await realpath(path.join(dir, name)).catch(() => undefined);
  if (!dir || !real || path.dirname(real) !== dir) return false; // a symlink out of the folder
  return sendFile(req, res, real, {
    'Content-Type': CONTENT_TYPES[path.extname(name)],
    ...(LIVE_FILES.has(name) ? { 'Cache-Control': 'no-cache' } : {}),
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, streamDir: string, boundHost: string, port: number): Promise<void> {
  const notFound = () => { res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n'); };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('GET or HEAD only\n');
    return;
  }
  if (!hostAllowed(req.headers.host, boundHost, port)) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('open this page through 127.0.0.1 or localhost\n');
    return;
  }
  // The raw request path, not a URL parser's normalized one: "/../x" and "/%2e%2e/x" must not become "/x".
  const rawPath = (req.url ?? '').split('?')[0];
  if (rawPath === '/' || rawPath === '/index.html') {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(PAGE)),
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : PAGE);
    return;
  }
  if (rawPath === '/hls.min.js') {
    if (!(await sendFile(req, res, HLS_JS, { 'Content-Type': CONTENT_TYPES['.js'], 'X-Content-Type-Options': 'nosniff' }))) notFound();
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(rawPath.slice(1));
  } catch {
    return notFound(); // malformed %-escape
  }
  if (!rawPath.startsWith('/') || !(await streamFile(req, res, streamDir, name))) notFound();
}

/** Serves the watch page for one job's stream folder. Local only by default (127.0.0.1, any free port). */
export async function startWatchServer(streamDir: string, opts: { port?: number; host?: string } = {}): Promise<WatchServer> {
  const host = opts.host ?? '127.0.0.1';
  const dir = path.resolve(streamDir);
  const server = http.createServer((req, res) => {
    handle(req, res, dir, host, (server.address() as AddressInfo).port).catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${e instanceof Error ? e.message : e}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections(); // a watching browser keeps its connections open; don't wait for it to leave
    }),
  };
}
