// The Temporal web UI's front door (issue 27). The UI answers any Host header, so a web page that points its own
// name at 127.0.0.1 (DNS rebinding) could read it, take its CSRF token and start workflows. With `--ui` the dev
// server's UI listens on an internal loopback port and this small proxy takes the port the user opens: it forwards
// only requests addressed exactly to 127.0.0.1:<port>, localhost:<port> or [::1]:<port>, with no foreign Origin,
// streaming bodies both ways (and tunnelling upgrades). Everything else gets 421/403 and nothing of the UI.
//
// Started detached by client/devServer.ts: node dist/client/uiFront.js --port P --upstream-host 127.a.b.c --upstream U --server-pid S
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { hostAllowed, originAllowed } from './loopbackHost.js';

/** Headers that describe one hop's connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()).filter(Boolean));
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

const BIND = '127.0.0.1';

/** Why a request is refused (status and a line of text), or undefined when it may reach the UI. */
export function refusal(req: http.IncomingMessage, port: number): { status: number; text: string } | undefined {
  // Origin-form only ("/path"): an absolute URL in the request line would name another host than the Host header.
  if (!(req.url ?? '').startsWith('/')) return { status: 400, text: 'bad request target\n' };
  if (!hostAllowed(req.headers.host, BIND, port)) return { status: 421, text: `open the Temporal UI as http://127.0.0.1:${port}/ or http://localhost:${port}/\n` };
  // Browsers send Origin with cross-site requests and with every non-GET one: only our own pages may talk to the UI.
  const origin = req.headers.origin;
  if (!originAllowed(Array.isArray(origin) ? origin[0] : origin, BIND, port)) return { status: 403, text: 'requests from other sites are refused\n' };
  return undefined;
}

export interface UiFront {
  port: number;
  close(): Promise<void>;
}

export async function startUiFront(opts: { port: number; upstreamPort: number; upstreamHost?: string }): Promise<UiFront> {
  const { upstreamPort } = opts;
  const upstreamHost = opts.upstreamHost ?? BIND;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let port = opts.port;

  const server = http.createServer((req, res) => {
    const refused = refusal(req, port);
    if (refused) {
      req.resume();
      res.writeHead(refused.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' }).end(refused.text);
      return;
    }
    const upstream = http.request({ host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers: endToEnd(req.headers), agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end('the Temporal UI is not answering\n');
      else res.destroy();
    });
    req.pipe(upstream);
    res.on('close', () => { if (!res.writableFinished) upstream.destroy(); });
  });

  // Upgrades (WebSocket): checked the same way, then a byte tunnel to the UI carrying the original request head.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refused = refusal(req, port);
    if (refused) {
      socket.end(`HTTP/1.1 ${refused.status} ${http.STATUS_CODES[refused.status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(refused.text)}\r\nConnection: close\r\n\r\n${refused.text}`);
      return;
    }
    const upstream = net.connect({ host: upstreamHost, port: upstreamPort });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
  });

  server.on('clientError', (_e, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); else socket.destroy(); });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, BIND, () => { server.off('error', reject); resolve(); });
  });
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
  };
}

function flag(argv: string[], name: string, max = 65535): number {
  const i = argv.indexOf(name);
  const value = i >= 0 ? Number(argv[i + 1]) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    process.stderr.write(`uiFront: ${name} needs a number from 1 to ${max}\n`);
    process.exit(2);
  }
  return value;
}

async function main(argv: string[]): Promise<void> {
  const port = flag(argv, '--port');
  const upstreamPort = flag(argv, '--upstream');
  const serverPid = argv.includes('--server-pid') ? flag(argv, '--server-pid', 2 ** 22) : undefined;
  const hostAt = argv.indexOf('--upstream-host');
  const upstreamHost = hostAt >= 0 ? argv[hostAt + 1] : BIND;
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(upstreamHost ?? '')) {
    process.stderr.write('uiFront: --upstream-host must be a 127.0.0.0/8 address\n');
    process.exit(2);
  }
  try {
    await startUiFront({ port, upstreamPort, upstreamHost });
  } catch (e) {
    process.stderr.write(`uiFront: cannot listen on ${BIND}:${port}: ${e instanceof Error ? e.message : e}\n`);
    process.exit(1);
  }
  process.stderr.write(`uiFront: 127.0.0.1:${port} → the Temporal UI on ${upstreamHost}:${upstreamPort}\n`);
  // The front serves one server: once that is gone, so is the front.
  if (serverPid) {
    setInterval(() => {
      try { process.kill(serverPid, 0); } catch { process.exit(0); }
    }, 2000);
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2));
