// An mTLS front for the test Temporal server, as a production deployment has one: Debian's nginx terminating TLS,
// requiring a client certificate signed by our CA (ssl_verify_client on) and passing gRPC on (grpc_pass).
// The certificates are made here with openssl: a CA, a server certificate for 127.0.0.1/localhost, a client one.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { portOpen } from '../../client/devServer.js';
import { waitFor } from './processes.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

export interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (args: string[]) => execa('openssl', args, { stdin: 'ignore' });

/** An EC key and a certificate signed by the CA, with the given extensions (server or client use). */
async function issue(dir: string, name: string, cn: string, extensions: string): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.pem`);
  const ext = path.join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  await openssl(['x509', '-req', '-in', csr, '-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-out', cert, '-extfile', ext]);
  return { cert, key };
}

export async function makeCertificates(dir: string): Promise<Certificates> {
  await mkdir(dir, { recursive: true });
  const ca = path.join(dir, 'ca.pem');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'ca.key'), '-out', ca,
    '-days', '2', '-subj', '/CN=anime-dub test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const server = await issue(dir, 'server', 'localhost', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const client = await issue(dir, 'client', 'anime-dub-worker', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  return { ca, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** nginx's configuration: long gRPC polls (Temporal holds them ~70 s) and large payloads must pass untouched. */
export function nginxConfig(dir: string, port: number, upstream: string, certs: Certificates): string {
  const asRoot = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${asRoot}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fastcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${certs.serverCert};
    ssl_certificate_key ${certs.serverKey};
    ssl_client_certificate ${certs.ca};
    ssl_verify_client on;
    client_max_body_size 0;
    keepalive_timeout 600s;
    http2_max_requests 1000000;
    grpc_read_timeout 600s;
    grpc_send_timeout 600s;
    location / { grpc_pass grpc://${upstream}; }
  }
}
`;
}

export interface MtlsFront {
  address: string;
  certs: Certificates;
  log(): string;
  stop(): Promise<void>;
}

export async function startMtlsFront(dir: string, upstream: string): Promise<MtlsFront> {
  if (!NGINX) throw new Error('nginx is not installed (scripts/setup.sh installs it from Debian)');
  const certs = await makeCertificates(path.join(dir, 'certs'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, upstream, certs));
  let log = '';
  const child: ResultPromise = execa(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { reject: false, all: true, stdin: 'ignore' });
  child.all?.on('data', (d: Buffer) => { log += d.toString(); });
  let exited = false;
  const done = child.then(() => { exited = true; });
  await waitFor(`nginx on 127.0.0.1:${port}`, async () => {
    if (exited) throw new Error(`nginx exited: ${log}`);
    return portOpen(port);
  }, 20_000);
  return {
    address: `127.0.0.1:${port}`,
    certs,
    log: () => log,
    async stop() {
      child.kill('SIGTERM'); // fast shutdown: long polls would hold a graceful one for a minute
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(t);
    },
  };
}
