// What is installed (doctor) and the effective settings (config).
import { loadSettings } from '../../config/load.js';
import { temporalCliPath, portOpen } from '../devServer.js';
import { resolveTemporalTarget } from '../connection.js';

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
      console.log(JSON.stringify(loadSettings(), null, 2));
      process.exit(0);
    });
}
