// What is installed (doctor) and the effective settings (config).
import { loadSettings } from '../../config/load.js';
import { temporalCliPath, portOpen } from '../devServer.js';
import { resolveTemporalTarget } from '../../config/connection.js';

import type { Command } from 'commander';

export function addDoctorCommands(program: Command): void {
  program
    .command('doctor')
    .description('which engines are installed, their versions, and how to install what is missing')
    .action(async () => {
      const settings = loadSettings();
      // Loaded here, not at the top: each of these costs ~0.1 s of start-up that `run` does not need.
      const { engineReport } = await import('../../engines/engineChecks.js');
      const { lipsyncPlugin, lipsyncPluginNames } = await import('../../engines/lipsync/registry.js');
      const report = await engineReport(temporalCliPath(settings));
      for (const e of report) {
        const state = e.installed ? 'ok     ' : e.optional ? 'absent ' : 'MISSING';
        console.log(`${state} ${e.kind.padEnd(14)} ${e.name.padEnd(13)} ${e.version ?? ''}${e.detail ? `  (${e.detail})` : ''}${e.optional && !e.installed ? ' (optional)' : ''}${e.installed ? '' : `\n        install: ${e.install}`}`);
      }
      for (const name of lipsyncPluginNames()) {
        const a = await lipsyncPlugin(name)!.check(settings, true);
        console.log(`${a.available ? 'ok     ' : 'absent '} ${'lipsync'.padEnd(14)} ${name.padEnd(13)} ${a.available ? a.detail : `${a.reason} (optional plugin)`}`);
      }
      const server = resolveTemporalTarget(settings).address;
      console.log(`${(await portOpen(Number(server.split(':').pop()), server.split(':')[0])) ? 'ok     ' : 'down   '} ${'orchestration'.padEnd(14)} ${'server'.padEnd(13)} ${server}`);
      // Non-zero only when something the embedded default needs is missing; optional engines are listed, not required.
      process.exit(report.every((e) => e.installed || e.optional) ? 0 : 1);
    });

  program
    .command('config')
    .description('print the effective configuration (defaults + environment) as JSON')
    .action(() => {
      console.log(JSON.stringify(redactSecrets(loadSettings()), null, 2));
      process.exit(0);
    });
}

/** Query parameters whose value is a credential (api_key, token, sig, X-Amz-Signature, password, …). */
const SECRET_PARAM = /key|token|secret|sig|pass|auth|credential|session/i;

/**
 * A URL with its credentials replaced by `***`: the user-info (`user:password@`) and the value of any query
 * parameter named like a key, a token or a signature. Other strings are returned unchanged.
 */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*@)?([^\s?#]*)(\?[^\s#]*)?/gi, (_m, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) =>
    `${scheme}${userinfo ? '***@' : ''}${rest}${query ? query.replace(/([?&])([^=&]*)=([^&]*)/g, (q: string, sep: string, name: string) => (SECRET_PARAM.test(decodeURIComponentSafe(name)) ? `${sep}${name}=***` : q)) : ''}`);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Settings as `config` prints them: every string with a URL in it passed through redactUrl. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactUrl(value) as T;
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)])) as T;
  return value;
}
