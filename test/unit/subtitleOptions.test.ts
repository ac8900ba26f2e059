// The job options of issue 16, as the CLI and programs give them.
import { describe, expect, it } from '@jest/globals';
import { parseJobOptions, resolveJobOptions } from '../../config/load.js';
import { settingsSchema } from '../../config/schema.js';

describe('subtitle job options', () => {
  const settings = settingsSchema.parse({});

  it('--subs embedded[:N|:lang] is a stream of the input, not a path; a file is made absolute', () => {
    expect(resolveJobOptions(settings, { video: 'ep.mkv', subs: 'embedded:2' }, '/work').subs).toBe('embedded:2');
    expect(resolveJobOptions(settings, { video: 'ep.mkv', subs: 'embedded' }, '/work').subs).toBe('embedded');
    expect(resolveJobOptions(settings, { video: 'ep.mkv', subs: 'ep.en.ass' }, '/work').subs).toBe('/work/ep.en.ass');
  });

  it('--voice-styles/--skip-styles take a comma list; --audio-track a number or a language', () => {
    const o = resolveJobOptions(settings, { video: 'ep.mkv', subtitles: { voiceStyles: 'OP-TL, ED Romaji', skipStyles: ['Flashback'] }, audioTrack: 'jpn' }, '/work');
    expect(o.subtitles).toEqual({ voiceStyles: ['OP-TL', 'ED Romaji'], skipStyles: ['Flashback'] });
    expect(o.audioTrack).toBe('jpn');
    expect(resolveJobOptions(settings, { video: 'ep.mkv' }, '/work').subtitles).toEqual({});
    const bad = parseJobOptions({ video: '/v.mkv', audioTrack: '0:a:1; rm' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/audioTrack/);
  });
});
