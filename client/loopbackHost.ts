// Which Host and Origin headers a loopback-only web server (the `watch` page, the UI front) answers.
// A web page elsewhere could point its own host name at 127.0.0.1 (DNS rebinding) and read such a server through
// the viewer's browser; on a loopback address we therefore answer only requests addressed, exactly, to a loopback
// name and our port ("127.0.0.1.attacker.example" is not 127.0.0.1).

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** The exact `host[:port]` values a browser sends for a loopback server on `port`. */
function loopbackAuthorities(boundHost: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', boundHost.includes(':') ? `[${boundHost}]` : boundHost]);
  // A browser leaves the port out only when it is the scheme's default.
  return new Set([...names].flatMap((n) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`])));
}

export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (!isLoopback(boundHost)) return true; // bound to a network address on purpose: anyone may watch
  return loopbackAuthorities(boundHost, port).has((hostHeader ?? '').toLowerCase());
}

/**
 * An Origin header (sent by browsers with cross-site and non-GET requests) must be one of the same exact loopback
 * origins over http; no Origin at all is a non-browser client, which a web page cannot be.
 */
export function originAllowed(originHeader: string | undefined, boundHost: string, port: number): boolean {
  if (originHeader === undefined) return true;
  if (!isLoopback(boundHost)) return true;
  const origin = originHeader.toLowerCase();
  return [...loopbackAuthorities(boundHost, port)].some((a) => origin === `http://${a}`);
}
