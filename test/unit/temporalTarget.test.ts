// Which Temporal our programs talk to, and how: envconfig (TEMPORAL_* and temporal.toml) over our settings.
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeSource, resolveTemporalTarget } from '../../config/connection.js';
import { ConfigError, loadSettings } from '../../config/load.js';

const resolve = (env: Record<string, string>) => resolveTemporalTarget(loadSettings(env), { env: { XDG_CONFIG_HOME: '/nonexistent-config', ...env } });

async function configHome(toml: string): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-envconfig-'));
  await mkdir(path.join(home, 'temporalio'));
  await writeFile(path.join(home, 'temporalio', 'temporal.toml'), toml);
  return home;
}

describe('resolving the Temporal connection', () => {
  it('with nothing set, it is the embedded dev server on our configured port, in plain gRPC', () => {
    const t = resolve({ ANIME_DUB_SERVER_PORT: '7999' });
    expect(t).toMatchObject({ address: '127.0.0.1:7999', embedded: true, namespace: 'default', profile: 'default' });
    expect(t.tls).toBeUndefined();
  });

  it('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE name a service; an API key turns TLS on', () => {
    const t = resolve({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'k-123' });
    expect(t).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', embedded: false, namespace: 'ns.acct', apiKey: 'k-123', tls: true });
    expect(describeSource(t)).toBe('profile "default", from TEMPORAL_* variables, namespace ns.acct, TLS without a client certificate with an API key');
  });

  it('an API key or TLS without any address is refused rather than sent to the embedded server', () => {
    expect(() => resolve({ TEMPORAL_API_KEY: 'k' })).toThrow(ConfigError);
    expect(() => resolve({ TEMPORAL_TLS: 'true' })).toThrow(/no address: set TEMPORAL_ADDRESS/);
  });

  it("the user's temporal.toml default profile is read as the temporal CLI reads it; the variables override it", async () => {
    const home = await configHome('[profile.default]\naddress = "temporal.internal:7233"\nnamespace = "dubbing"\n[profile.default.grpc_meta]\nx-team = "anime"\n');
    const t = resolveTemporalTarget(loadSettings({}), { env: { XDG_CONFIG_HOME: home } });
    expect(t).toMatchObject({ address: 'temporal.internal:7233', namespace: 'dubbing', embedded: false, profile: 'default', metadata: { 'x-team': 'anime' } });
    expect(t.configFile).toBe(path.join(home, 'temporalio', 'temporal.toml'));
    const over = resolveTemporalTarget(loadSettings({}), { env: { XDG_CONFIG_HOME: home, TEMPORAL_NAMESPACE: 'other' } });
    expect(over.namespace).toBe('other');
  });

  it('a named profile must exist: the error lists the profiles there', async () => {
    const home = await configHome('[profile.dev]\naddress = "a:1"\n[profile.prod]\naddress = "b:2"\n');
    const file = path.join(home, 'temporalio', 'temporal.toml');
    expect(resolveTemporalTarget(loadSettings({}), { env: { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' } }).address).toBe('b:2');
    expect(() => resolveTemporalTarget(loadSettings({}), { env: { TEMPORAL_CONFIG_FILE: file }, profile: 'staging' }))
      .toThrow(`Temporal profile "staging" is not in ${file} (profiles there: dev, prod)`);
    expect(() => resolveTemporalTarget(loadSettings({}), { env: { TEMPORAL_CONFIG_FILE: '/nonexistent/t.toml', TEMPORAL_PROFILE: 'prod' } }))
      .toThrow('Temporal profile "prod" was asked for but /nonexistent/t.toml does not exist');
  });

  it('a profile whose certificate file is missing is a configuration error naming the profile', async () => {
    const home = await configHome('[profile.default]\naddress = "a:1"\n[profile.default.tls]\nclient_cert_path = "/nonexistent/c.pem"\nclient_key_path = "/nonexistent/c.key"\n');
    expect(() => resolveTemporalTarget(loadSettings({}), { env: { XDG_CONFIG_HOME: home } })).toThrow(/profile "default" in .*temporal\.toml\) are unusable: .*nonexistent\/c\.pem/);
  });
});
