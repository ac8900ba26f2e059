#!/usr/bin/env node
// `anime-dub`: run, watch and manage dub jobs. With no Temporal address configured it runs everything
// on this machine (embedded dev server + in-process worker); with one, it only talks to the cluster.
import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { addCastCommands } from './commands/cast.js';
import { fail } from './commands/context.js';
import { addDoctorCommands } from './commands/doctor.js';
import { addJobCommands } from './commands/jobs.js';
import { addReviewCommand } from './commands/review.js';
import { addRunCommand } from './commands/run.js';
import { addServerCommands } from './commands/server.js';
import { addWatchCommand } from './commands/watch.js';
import { addWorkerCommand } from './commands/worker.js';

const program = new Command();
program
  .name('anime-dub')
  .description('Dub a video into another language: speech recognition → translation → speech synthesis → timing fit → mix → MP4/MKV.\n'
    + 'Without a Temporal address (TEMPORAL_ADDRESS, or a temporal.toml profile: TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE) it starts\n'
    + 'a local Temporal dev server (state in .anime-dub/) and runs the work in this process. TLS, mTLS and API keys: TEMPORAL_TLS*, TEMPORAL_API_KEY.')
  .version('0.1.0')
  .showHelpAfterError();

// One module per command group (client/commands/); the order here is the order `--help` lists them.
addRunCommand(program);
addJobCommands(program);
addDoctorCommands(program);
addReviewCommand(program);
addCastCommands(program);
addWatchCommand(program);
addServerCommands(program);
addWorkerCommand(program);

program.parseAsync().catch((e) => {
  if (e instanceof ConfigError) fail(e.message, 2);
  fail(e instanceof Error ? e.message : String(e));
});
