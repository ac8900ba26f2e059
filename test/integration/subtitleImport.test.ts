// A workflow round trip with imported subtitles and identity translation (no ASR, no MT involved).
import { describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { shortClip, writeSrt } from '../fixtures/media.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { withWorker } from '../support/workers.js';

describe('subtitle import and identity translation (real dev server and worker)', () => {
  const queues = withWorker('subs', { prepare: shortClip });

  it('--subs gives the source lines and --no-translate dubs them in the source language with piper (the English neural voice)', async () => {
    const clip = await shortClip();
    const dir = await tempDir('subs');
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), clip.script.map((l) => ({ ...l, text: `${l.text} (subtitled)` })));
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, translate: false }), queues);
    const result: DubJobResult = await handle.result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    expect(transcript.source).toBe('subtitles:lines.srt');
    expect(transcript.lines.map((l: { text: string }) => l.text)).toEqual(clip.script.map((l) => `${l.text} (subtitled)`));
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines).toMatchObject({ asr: 'subtitles', tts: 'piper' });
    expect(report.lines.map((l: { target: string }) => l.target)).toEqual(transcript.lines.map((l: { text: string }) => l.text));
    expect(result.outputs.targetSrt).toBe('short.en.srt');
    const { streams } = await probe(path.join(result.outputDir, result.outputs.mkv));
    expect(streams.filter((s) => s.codec_type === 'audio').map((s) => s.tags?.language)).toEqual(['eng', 'eng']);
  }, 120_000);

  it('--translated-subs gives the target lines instead of machine translation', async () => {
    const clip = await shortClip();
    const dir = await tempDir('tsubs');
    const translated = await writeSrt(path.join(dir, 'in', 'es.srt'), clip.script.map((l, i) => ({ ...l, text: ['Hola a todos.', 'Muchas gracias.'][i] })));
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { translatedSubs: translated }), queues);
    const result: DubJobResult = await handle.result();
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    expect(srt).toContain('Hola a todos.');
    expect(srt).toContain('Muchas gracias.');
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.mt).toBe('subtitles');
  }, 120_000);

  it('--translated-subs with speaker names (WebVTT voice tags) gives the lines their speakers', async () => {
    const clip = await shortClip();
    const dir = await tempDir('tsubs-speakers');
    const stamp = (s: number) => new Date(Math.round(s * 1000)).toISOString().slice(11, 23);
    const cues = clip.script.map((l, i) => `${stamp(l.start)} --> ${stamp(l.end)}\n<v ${['Aiko', 'Ben'][i]}>${['Hola a todos.', 'Muchas gracias.'][i]}`);
    const translated = path.join(dir, 'in', 'es.vtt');
    await mkdir(path.dirname(translated), { recursive: true });
    await writeFile(translated, `WEBVTT\n\n${cues.join('\n\n')}\n`);
    const result: DubJobResult = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { translatedSubs: translated }), queues)).result();
    const lines = JSON.parse(await readFile(path.join(result.outputDir, 'translated.json'), 'utf8')).lines;
    expect(lines.map((l: { speaker?: string; target: string }) => [l.speaker, l.target])).toEqual([['Aiko', 'Hola a todos.'], ['Ben', 'Muchas gracias.']]);
  }, 120_000);

  it('--subs with an ASS file keeps the speaker names; a line far too long for its slot is condensed before synthesis', async () => {
    const clip = await shortClip();
    const dir = await tempDir('asssubs');
    const ts = (s: number) => {
      const cs = Math.round(s * 100);
      return `${Math.floor(cs / 360000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
    };
    const texts = ['{\\i1}Good morning{\\i0}\\Neveryone.', 'Thank you very much (really, truly, from the bottom of my heart, all of you, every single one).'];
    const speakers = ['Aiko', 'Ben'];
    const ass = [
      '[Script Info]', 'ScriptType: v4.00+', '', '[V4+ Styles]',
      'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
      'Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1', '',
      '[Events]', 'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
      'Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,typesetting note',
      ...clip.script.map((l, i) => `Dialogue: 0,${ts(l.start)},${ts(l.end)},Default,${speakers[i]},0,0,0,,${texts[i]}`),
    ].join('\r\n');
    const file = path.join(dir, 'in', 'lines.ass');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, ass);
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: file, translate: false }), queues);
    const result: DubJobResult = await handle.result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    expect(transcript.source).toBe('subtitles:lines.ass');
    expect(transcript.lines.map((l: { speaker?: string }) => l.speaker)).toEqual(speakers);
    expect(transcript.lines[0].text).toBe('Good morning everyone.');
    const condensed = JSON.parse(await readFile(path.join(result.outputDir, 'condensed.json'), 'utf8'));
    expect(condensed.lines[0].condensed).toBeUndefined();
    expect(condensed.lines[1].condensed).toMatchObject({ to: 'Thank you very much.', rules: ['parentheticals'] });
    // The subtitles keep the whole line; only the dub says the shorter one.
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    expect(srt).toContain('every single one');
  }, 120_000);

  it('a malformed subtitle file → InvalidSubtitles, not a retry', async () => {
    const clip = await shortClip();
    const dir = await tempDir('badsubs');
    const bad = path.join(dir, 'bad.srt');
    await (await import('node:fs/promises')).writeFile(bad, '1\nthis is not a timestamp\nHello\n');
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: bad }), queues);
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(String(err?.cause?.type)).toBe('InvalidSubtitles');
    expect(err?.cause?.message).toMatch(/bad\.srt is not valid SRT, WebVTT or ASS/);
  }, 120_000);
});
