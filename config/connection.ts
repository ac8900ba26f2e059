// Where our programs find Temporal and how they authenticate: Temporal's own environment configuration
// (temporal.toml profiles and the TEMPORAL_* variables, read by @temporalio/envconfig exactly as the `temporal`
// CLI reads them), with our settings as the fallback. No address anywhere means the embedded dev server.
// The CLI, the typed client helper and every worker resolve their connection here, so they can never disagree.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Connection, type TLSConfig } from '@temporalio/client';
import { loadClientConfig, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { ConfigError } from './load.js';
import type { Settings } from './schema.js';

export interface ConnectionChoice {
  /** A temporal.toml profile (default: TEMPORAL_PROFILE, else "default"). */
  profile?: string;
  /** The temporal.toml to read (default: TEMPORAL_CONFIG_FILE, else the user's temporalio/temporal.toml). */
  configFile?: string;
  /** The environment to read TEMPORAL_* from (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface TemporalTarget {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  /** Nothing named an address: the embedded dev server on this machine (plain gRPC on localhost). */
  embedded: boolean;
  /** The profile name in force ("default" unless TEMPORAL_PROFILE or the caller chose one). */
  profile: string;
  /** The temporal.toml the profile came from, when one exists. */
  configFile?: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** The connection failed: names the address and where the settings came from, so the person knows what to fix. */
export class TemporalConnectionError extends Error {
  readonly type = 'TemporalUnreachable';
  constructor(readonly target: TemporalTarget, cause: unknown) {
    super(`cannot connect to Temporal at ${target.address} (${describeSource(target)}): ${reason(cause)}${hint(target)}`, { cause });
    this.name = 'TemporalConnectionError';
  }
}

/** The user's default temporal.toml, where the `temporal` CLI and envconfig look for it. */
export function defaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (process.platform === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : env.HOME ? path.join(env.HOME, '.config') : undefined;
  return base ? path.join(base, 'temporalio', 'temporal.toml') : undefined;
}

export function resolveTemporalTarget(settings: Settings, choice: ConnectionChoice = {}): TemporalTarget {
  const env = choice.env ?? process.env;
  const configFile = choice.configFile ?? env.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(env);
  const requested = choice.profile ?? (env.TEMPORAL_PROFILE || undefined);
  const profileName = requested ?? 'default';
  const where = configFile && existsSync(configFile) ? configFile : undefined;
  if (requested && !where) {
    throw new ConfigError(`Temporal profile "${requested}" was asked for but ${configFile ? `${configFile} does not exist` : 'no temporal.toml was found (set TEMPORAL_CONFIG_FILE)'}`);
  }
  let profile;
  let connectionOptions;
  try {
    if (requested && where) {
      const known = Object.keys(loadClientConfig({ configSource: { path: where } }).profiles);
      if (!known.includes(requested)) throw new ConfigError(`Temporal profile "${requested}" is not in ${where} (profiles there: ${known.join(', ') || 'none'})`);
    }
    profile = loadClientConfigProfile({
      profile: requested,
      ...(where ? { configSource: { path: where } } : { disableFile: true }),
      overrideEnvVars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    // Reads the certificate and key files the profile names: a missing one is a settings error, not a network one.
    connectionOptions = toClientOptions(profile).connectionOptions;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`Temporal connection settings (profile "${profileName}"${where ? ` in ${where}` : ''}) are unusable: ${reason(e)}`);
  }
  // An address given to our loader explicitly (settings overrides) wins; TEMPORAL_ADDRESS feeds both the same.
  const address = settings.temporal.address || profile.address || '';
  const namespace = profile.namespace || settings.temporal.namespace;
  const base = { namespace, profile: profileName, configFile: where };
  if (!address) {
    const secured = (connectionOptions.tls !== undefined && connectionOptions.tls !== false) || profile.apiKey;
    if (secured) {
      throw new ConfigError(`Temporal TLS or an API key is configured (profile "${profileName}"${where ? ` in ${where}` : ''}) but no address: set TEMPORAL_ADDRESS or the profile's address`);
    }
    return { ...base, address: `127.0.0.1:${settings.temporal.serverPort}`, embedded: true };
  }
  return {
    ...base,
    address,
    embedded: false,
    tls: connectionOptions.tls ?? undefined,
    apiKey: profile.apiKey,
    metadata: connectionOptions.metadata as Record<string, string> | undefined,
  };
}

/** What a Connection / NativeConnection needs, without the things it must not get when absent. */
export function connectionOptionsOf(target: TemporalTarget): { address: string; tls?: TLSConfig | boolean; apiKey?: string; metadata?: Record<string, string> } {
  return {
    address: target.address,
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.metadata && Object.keys(target.metadata).length ? { metadata: target.metadata } : {}),
  };
}

/** Runs a connect call and turns its failure into one TemporalConnectionError. */
export async function withConnectionErrors<T>(target: TemporalTarget, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (e) {
    throw new TemporalConnectionError(target, e);
  }
}

export function connectTemporal(target: TemporalTarget): Promise<Connection> {
  return withConnectionErrors(target, () => Connection.connect(connectionOptionsOf(target)));
}

/** "profile "prod" in /etc/anime-dub/temporal.toml, mTLS" — for logs and errors. */
export function describeSource(target: TemporalTarget): string {
  if (target.embedded) return `the embedded dev server, profile "${target.profile}"`;
  const security = describeSecurity(target);
  return `profile "${target.profile}"${target.configFile ? ` in ${target.configFile}` : ', from TEMPORAL_* variables'}, namespace ${target.namespace}, ${security}`;
}

function describeSecurity(target: TemporalTarget): string {
  const tls = target.tls;
  const auth = target.apiKey ? ' with an API key' : '';
  if (tls === undefined || tls === false) return `plain gRPC${auth}`;
  if (tls === true || !tls.clientCertPair) return `TLS without a client certificate${auth}`;
  return `mTLS${auth}`;
}

function reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0];
}

function hint(target: TemporalTarget): string {
  if (target.embedded) return '';
  const tls = target.tls;
  if (tls === undefined || tls === false) {
    return ' (is the server up? If it expects TLS, set TEMPORAL_TLS=true or a tls section in the profile)';
  }
  const hints: string[] = [];
  if ((tls === true || !tls.clientCertPair) && !target.apiKey) {
    hints.push('no client certificate was sent: a server that requires mTLS needs tls.client_cert_path and tls.client_key_path in the profile, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
  }
  if (tls === true || !tls.serverRootCACertificate) {
    hints.push("the server's certificate is checked against the system's CAs: a private CA needs tls.server_ca_cert_path or TEMPORAL_TLS_SERVER_CA_CERT_PATH");
  }
  return hints.length ? ` (${hints.join('; ')})` : '';
}
