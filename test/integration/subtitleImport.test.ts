// A workflow round trip with imported subtitles and identity translation (no ASR, no MT involved).
import { describe, expect, it } from '@jest/globals';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { shortClip, writeSrt } from '../fixtures/media.js';
import { defaultJobInput, jobInput, startJob, tempDir, testClient } from '../support/jobs.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { karaokeRelease } from '../fixtures/releaseSubtitles.js';
import { probe, soundRegions } from '../support/media.js';
import { run } from '../../engines/run.js';
import { withWorker } from '../support/workers.js';

describe('subtitle import and identity translation (real dev server and worker)', () => {
  const queues = withWorker('subs', { prepare: shortClip });

  it('--subs gives the source lines and --no-translate dubs them in the source language with piper (the English neural voice)', async () => {
    const clip = await shortClip();
    const dir = await tempDir('subs');
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), clip.script.map((l) => ({ ...l, text: `${l.text} (subtitled)` })));
    // One narrator (diarize off): this test is about the identity translation; casts have their own tests.
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, translate: false, tts: { diarize: 'off' } }), queues);
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

  it('a malformed subtitle file → InvalidSubtitles naming the file and line (never its text), not a retry, and no job folder', async () => {
    const clip = await shortClip();
    const dir = await tempDir('badsubs');
    const bad = path.join(dir, 'bad.srt');
    await writeFile(bad, '1\nthis is not a timestamp\nHello\n');
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: bad }), queues);
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(String(err?.cause?.type)).toBe('InvalidSubtitles');
    expect(err?.cause?.message).toMatch(/bad\.srt is not valid SRT, WebVTT or ASS: .*line 2/);
    expect(err?.cause?.message).not.toMatch(/this is not|Hello/);
    expect(await readdir(path.join(dir, 'out')).catch(() => [])).toEqual([]);
  }, 120_000);

  it('a fansub ASS: the karaoke OP, signs, drawings and comments are not voiced; report.json lists each skipped event by reason', async () => {
    const clip = await shortClip();
    const dir = await tempDir('fansub');
    const [a, b] = clip.script;
    const styles = ['Default', 'OP-Romaji', 'OP-TL', 'Signs'].map((n) => `Style: ${n},Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1`);
    const syllables = Array.from({ length: 12 }, (_, i) => `Dialogue: 0,${assTime(0.2 * i)},${assTime(0.2 * i + 0.4)},OP-Romaji,,0,0,0,,{\\k20}${'sakura'.slice(i % 3, (i % 3) + 2)}`);
    const ass = [
      '[Script Info]', 'ScriptType: v4.00+', '', '[V4+ Styles]', ASS_STYLE_FORMAT, ...styles, '', '[Events]', ASS_EVENT_FORMAT,
      ...syllables,
      `Dialogue: 0,${assTime(0)},${assTime(3)},OP-TL,,0,0,0,,Cherry blossoms fall`,
      `Dialogue: 0,${assTime(a.start)},${assTime(a.end)},Default,Aya,0,0,0,,${a.text}`,
      `Dialogue: 0,${assTime(a.start)},${assTime(a.end + 1)},Signs,,0,0,0,,{\\pos(320,40)}Tokyo Station`,
      `Dialogue: 0,${assTime(a.start)},${assTime(a.end)},Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}`,
      `Comment: 0,${assTime(b.start)},${assTime(b.end)},Default,,0,0,0,,check the timing here`,
      `Dialogue: 0,${assTime(b.start)},${assTime(b.end)},Default,Ken,0,0,0,,${b.text}`,
    ].join('\r\n');
    const file = path.join(dir, 'ep01.ass');
    await writeFile(file, ass);
    const result: DubJobResult = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: file, translate: false }), queues)).result();
    expect(result.lines).toBe(2);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.lines.map((l: { source: { text: string } }) => l.source.text)).toEqual([a.text, b.text]);
    expect(report.subtitles.skippedByReason).toEqual({ song: 13, sign: 2, comment: 1 });
    expect(report.subtitles.skipped.filter((k: { reason: string }) => k.reason === 'song')[0]).toMatchObject({ line: 13, style: 'OP-Romaji' });
  }, 180_000);

  it('a release’s karaoke effects (300+ per-syllable events) are not voiced; its dashed two-speaker row is two lines in two voices; report.html lists the skips', async () => {
    const clip = await shortClip();
    const dir = await tempDir('release-kara');
    const [a, b] = clip.script;
    const fx = karaokeRelease({ start: a.start, end: b.end, text: `- ${a.text}\\N- ${b.text}` });
    const file = path.join(dir, 'ep01.ass');
    await writeFile(file, fx.ass);
    const result: DubJobResult = await (await startJob(defaultJobInput(clip.video, queues, path.join(dir, 'out'), { subs: file, translate: false }), queues)).result();
    expect(result.lines).toBe(2);
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    expect(transcript.lines.map((l: { text: string }) => l.text)).toEqual([a.text, b.text]);
    expect(transcript.lines[0].end).toBe(transcript.lines[1].start);
    const voices = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8'));
    expect(voices.speakers).toHaveLength(2);
    expect(new Set(voices.speakers.map((v: object) => JSON.stringify({ ...v, speaker: undefined }))).size).toBe(2);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.subtitles.skippedByReason).toEqual({ song: fx.songEvents, comment: fx.commentEvents - 1 });
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toContain(`<th>songs (karaoke, OP/ED, lyrics)</th><td>${fx.songEvents}</td>`);
    expect(html.match(/<tr><td>\d+<\/td><td>\d+:\d\d\.\d\d–\d+:\d\d\.\d\d<\/td><td>(song|comment)<\/td>/g)).toHaveLength(fx.songEvents + fx.commentEvents - 1);
  }, 180_000);

  it('English subtitles on a non-English video (--src ja --tgt en, ep.en.srt) are the dub script: no translation, spoken as written, the original kept as the second audio track', async () => {
    const clip = await shortClip();
    const dir = await tempDir('intarget');
    const subs = await writeSrt(path.join(dir, 'ep01.en.srt'), clip.script);
    const result: DubJobResult = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, src: 'ja', tgt: 'en' }), queues)).result();
    const translated = JSON.parse(await readFile(path.join(result.outputDir, 'translated.json'), 'utf8'));
    expect(translated.method).toBe('subtitles already in en');
    expect(translated.lines.map((l: { target: string }) => l.target)).toEqual(clip.script.map((l) => l.text));
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.mt).toBe('subtitles');
    const { streams } = await probe(path.join(result.outputDir, result.outputs.mkv));
    expect(streams.filter((s) => s.codec_type === 'audio').map((s) => s.tags?.language)).toEqual(['eng', 'jpn']);
  }, 180_000);

  it('a film’s SRT on a short clip: cues past the end are skipped before any work with one warning, and no output outlasts the input', async () => {
    const clip = await shortClip();
    const dir = await tempDir('pastend');
    const late = Array.from({ length: 40 }, (_, i) => ({ start: 48 + i * 180, end: 50 + i * 180, text: `Later line ${i}.` }));
    const subs = await writeSrt(path.join(dir, 'film.srt'), [...clip.script, ...late]);
    const result: DubJobResult = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, translate: false }), queues)).result();
    expect(result.lines).toBe(2);
    const subtitles = JSON.parse(await readFile(path.join(result.outputDir, 'subtitles.json'), 'utf8'));
    expect(subtitles.pastEnd).toEqual({ count: 40, from: 48, to: 50 + 39 * 180 });
    expect(subtitles.warnings).toHaveLength(1);
    expect(subtitles.warnings[0]).toMatch(/40 cue\(s\) from 0:48 to 1:57:50 start after the video ends/);
    const input = await probe(clip.video);
    for (const out of [result.outputs.mp4, result.outputs.mkv]) {
      expect((await probe(path.join(result.outputDir, out))).durationSec).toBeLessThanOrEqual(input.durationSec + 0.1);
    }
  }, 180_000);

  it('no cue inside the video → a clear InvalidSubtitles refusal before any work (no job folder)', async () => {
    const clip = await shortClip();
    const dir = await tempDir('allpast');
    const subs = await writeSrt(path.join(dir, 'other.srt'), [{ start: 60, end: 62, text: 'Nope.' }, { start: 120, end: 125, text: 'Still no.' }]);
    const err = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs }), queues)).result().then(() => undefined, (e) => e);
    expect(String(err?.cause?.type)).toBe('InvalidSubtitles');
    expect(err?.cause?.message).toMatch(/other\.srt: no cue starts inside the video .*2 cues run from 1:00 to 2:05/);
    expect(await readdir(path.join(dir, 'out')).catch(() => [])).toEqual([]);
  }, 120_000);

  it('two speakers talking over each other (WebVTT voices) are both heard in full; a Latin-1 file is read as such', async () => {
    const clip = await shortClip();
    const dir = await tempDir('overlap');
    const [a, b] = clip.script;
    // Aya's line runs on through Ken's interjection; the old single timeline cut her at Ken's start.
    const vtt = `WEBVTT\n\n${vttTime(a.start)} --> ${vttTime(b.end)}\n<v Aya>${a.text} ${b.text}\n\n${vttTime(b.start)} --> ${vttTime(b.end)}\n<v Ken>Señor, ¿qué?\n`;
    const file = path.join(dir, 'two.vtt');
    await writeFile(file, Buffer.from(vtt, 'latin1'));
    const result: DubJobResult = await (await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: file, translate: false }), queues)).result();
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.subtitles.encoding).toBe('windows-1252');
    expect(report.lines.map((l: { source: { text: string } }) => l.source.text)).toEqual([`${a.text} ${b.text}`, 'Señor, ¿qué?']);
    const [aya, ken] = report.lines;
    expect(aya.slot.end).toBeGreaterThan(b.end - 0.2); // not cut at Ken's start
    expect(aya.trimmedSec).toBe(0);
    expect(ken.slot.start).toBeLessThan(aya.slot.end); // they overlap in the mix
  }, 180_000);
});

describe('tracks inside the input (real dev server and worker)', () => {
  const queues = withWorker('embedded', { prepare: shortClip });

  /**
   * An MKV as releases come: a noise track first (not default), the English speech second (default), a Japanese
   * SRT track and an English ASS track (default) with the dialogue and a karaoke line.
   */
  async function releaseMkv(dir: string): Promise<{ video: string; lines: string[] }> {
    const clip = await shortClip();
    const [a, b] = clip.script;
    const assFile = path.join(dir, 'en.ass');
    await writeFile(assFile, [
      '[Script Info]', 'ScriptType: v4.00+', '', '[V4+ Styles]', ASS_STYLE_FORMAT,
      ...['Default', 'OP'].map((n) => `Style: ${n},Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1`),
      '', '[Events]', ASS_EVENT_FORMAT,
      `Dialogue: 0,${assTime(0)},${assTime(1)},OP,,0,0,0,,{\\k50}la{\\k50}la`,
      `Dialogue: 0,${assTime(a.start)},${assTime(a.end)},Default,Aya,0,0,0,,${a.text}`,
      `Dialogue: 0,${assTime(b.start)},${assTime(b.end)},Default,Ken,0,0,0,,${b.text}`,
    ].join('\n'));
    const srtFile = await writeSrt(path.join(dir, 'ja.srt'), [{ start: a.start, end: a.end, text: 'みなさん、おはようございます。' }, { start: b.start, end: b.end, text: 'どうもありがとう。' }]);
    const video = path.join(dir, 'release.mkv');
    await run([
      'ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', clip.video, '-f', 'lavfi', '-i', `anoisesrc=d=${clip.durationSec}:c=pink:a=0.3:r=48000`, '-i', srtFile, '-i', assFile,
      '-map', '0:v', '-map', '1:a', '-map', '0:a', '-map', '2:s', '-map', '3:s', '-c:v', 'copy', '-c:a', 'aac', '-c:s:0', 'srt', '-c:s:1', 'ass',
      '-metadata:s:a:0', 'language=und', '-metadata:s:a:1', 'language=eng', '-metadata:s:s:0', 'language=jpn', '-metadata:s:s:1', 'language=eng',
      '-disposition:a:0', '0', '-disposition:a:1', 'default', '-disposition:s:0', '0', '-disposition:s:1', 'default', '-shortest', video,
    ], { timeoutMs: 60_000 });
    return { video, lines: [a.text, b.text] };
  }

  it('--subs embedded takes the default subtitle track (ASS: the karaoke line not voiced); the default audio track is the source; the MKV keeps the input’s subtitle tracks', async () => {
    const dir = await tempDir('embedded');
    const { video, lines } = await releaseMkv(dir);
    const result: DubJobResult = await (await startJob(jobInput(video, queues, path.join(dir, 'out'), { subs: 'embedded', translate: false }), queues)).result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    expect(transcript.source).toBe('subtitles:embedded:1');
    expect(transcript.lines.map((l: { speaker: string; text: string }) => [l.speaker, l.text])).toEqual([['Aya', lines[0]], ['Ken', lines[1]]]);
    const subtitles = JSON.parse(await readFile(path.join(result.outputDir, 'subtitles.json'), 'utf8'));
    expect(subtitles.skippedByReason).toEqual({ song: 1 });
    const mkv = path.join(result.outputDir, result.outputs.mkv);
    const { streams } = await probe(mkv);
    const subs = streams.filter((s) => s.codec_type === 'subtitle');
    expect(subs.map((s) => [s.codec_name, s.tags?.language])).toEqual([['subrip', 'eng'], ['subrip', 'eng'], ['subrip', 'jpn'], ['ass', 'eng']]);
    // The original track in the MKV is the speech (two lines with a pause between), not the steady noise.
    expect((await soundRegions(mkv, 1)).length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('streaming with --subs embedded and --audio-track eng completes: chunks voice the ASS track’s lines (not its karaoke) over the chosen audio, not the noise track', async () => {
    const dir = await tempDir('embedded-stream');
    const { video, lines } = await releaseMkv(dir);
    const client = await testClient();
    const handle = await client.workflow.start('streamDub', {
      taskQueue: queues.workflows, workflowId: `embedded-stream-${Math.random().toString(36).slice(2, 8)}`,
      args: [jobInput(video, queues, path.join(dir, 'out'), { subs: 'embedded', audioTrack: 'eng', translate: false, stream: { enabled: true, chunkSeconds: 2, concurrency: 2 } })],
    });
    const result: StreamDubResult = await handle.result();
    expect(result.failed).toBe(0);
    expect(result.chunks).toBeGreaterThanOrEqual(2); // every chunk reads the one extracted track
    const manifest = JSON.parse(await readFile(path.join(result.outputDir, result.manifest), 'utf8'));
    expect(manifest.chunks.reduce((n: number, c: { lines: number }) => n + c.lines, 0)).toBe(2);
    const heard: [string, string][] = [];
    for (const c of manifest.chunks) {
      const t = JSON.parse(await readFile(path.join(result.outputDir, 'chunks', `chunk_${String(c.index).padStart(3, '0')}`, 'transcript.json'), 'utf8'));
      expect(t.source).toBe('subtitles:source.embedded-1.ass');
      heard.push(...t.lines.map((l: { speaker: string; text: string }) => [l.speaker, l.text] as [string, string]));
    }
    expect(heard).toEqual([['Aya', lines[0]], ['Ken', lines[1]]]);
    // The original track kept beside the dub is the chosen one (speech after a half-second lead), not the steady
    // noise of track 0 (sound from the first instant).
    const kept = await soundRegions(path.join(result.outputDir, result.final!), 1);
    const [speech, noise] = [await soundRegions(video, 1), await soundRegions(video, 0)];
    expect(noise[0].start).toBeLessThan(0.05);
    expect(speech[0].start).toBeGreaterThan(0.3);
    expect(kept[0].start).toBeCloseTo(speech[0].start, 1);
    expect(kept[0].end).toBeCloseTo(speech[0].end, 1);
  }, 240_000);

  it('errors name the track: no such subtitle track, no such audio track (by number or language); nothing written', async () => {
    const dir = await tempDir('embedded-pick');
    const { video } = await releaseMkv(dir);
    const bad = async (extra: Record<string, unknown>) => (await startJob(jobInput(video, queues, path.join(dir, 'out'), extra), queues)).result().then(() => undefined, (e) => e.cause);
    const noSub = await bad({ subs: 'embedded:5' });
    expect(noSub.type).toBe('InvalidSubtitles');
    expect(noSub.message).toMatch(/--subs embedded:5: release\.mkv has no such subtitle track \(subtitle tracks, counted from 0: 0: subrip jpn; 1: ass eng default\)/);
    const noAudio = await bad({ subs: 'embedded', audioTrack: '7' });
    expect(noAudio.type).toBe('InvalidMedia');
    expect(noAudio.message).toMatch(/--audio-track 7: release\.mkv has no audio track 7 \(audio tracks, counted from 0: 0: aac; 1: aac eng default\)/);
    const noLang = await bad({ subs: 'embedded', audioTrack: 'fr' });
    expect(noLang.message).toMatch(/--audio-track fr: release\.mkv has no audio track in that language/);
    expect(await readdir(path.join(dir, 'out')).catch(() => [])).toEqual([]);
  }, 120_000);
});

const ASS_STYLE_FORMAT = 'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding';
const ASS_EVENT_FORMAT = 'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text';

function assTime(s: number): string {
  const cs = Math.round(s * 100);
  return `${Math.floor(cs / 360000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
}

/** WebVTT time without hours (players accept MM:SS.mmm). */
function vttTime(s: number): string {
  const ms = Math.round(s * 1000);
  return `${String(Math.floor(ms / 60000)).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}
