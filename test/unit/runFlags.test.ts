// `anime-dub run`'s flags as one table (client/commands/run.ts RUN_FLAGS) and the one mapper onto job options.
import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { addRunFlags, jobOptionsFromFlags, RUN_FLAGS } from '../../client/commands/run.js';
import { loadSettings } from '../../config/load.js';
import { jobOptionsFields } from '../../config/schema.js';

/** The options a command line gives, parsed by commander exactly as `anime-dub run` parses it. */
function optionsOf(args: string[]) {
  const command = addRunFlags(new Command().exitOverride().argument('<videos...>'));
  command.parse(['/v/ep01.mkv', ...args], { from: 'user' });
  return jobOptionsFromFlags(loadSettings({}), '/v/ep01.mkv', command.opts());
}

describe('anime-dub run flags', () => {
  it('map onto the job options they name, --set beside them (a flag wins on the same path)', () => {
    const o = optionsOf([
      '--stream', 'on', '--dry-run', '--max-speed', '1.5', '--set', 'fit.guardMs=100', '--set', 'fit.maxSpeed=1.9', '--condense', 'off',
      '--no-translate', '--voice', 'en+f2', '--no-stitch', '--llm-model', 'qwen', '--voice-styles', 'OP,ED',
    ]);
    expect(o.stream).toMatchObject({ enabled: true, dryRun: true, stitch: false });
    expect(o.fit).toMatchObject({ maxSpeed: 1.5, guardMs: 100, condense: false });
    expect(o.translate).toBe(false);
    expect(o.tts.voice).toBe('en+f2');
    expect(o.mt.llm.model).toBe('qwen');
    expect(o.subtitles.voiceStyles).toEqual(['OP', 'ED']);
  });

  it('leave every option at its default when not given (booleans included)', () => {
    const o = optionsOf([]);
    const defaults = jobOptionsFields.parse({ video: '/v/ep01.mkv' });
    expect({ ...o, queues: undefined, placement: undefined, searchAttributes: undefined }).toEqual({ ...defaults, queues: undefined, placement: undefined, searchAttributes: undefined });
  });

  it('each flag with an option names an option the schema has', () => {
    const top = Object.keys(jobOptionsFields.shape);
    for (const f of RUN_FLAGS.filter((x) => x.option)) expect({ flag: f.flags, known: top.includes(f.option!.split('.')[0]) }).toEqual({ flag: f.flags, known: true });
  });
});
