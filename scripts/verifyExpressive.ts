// scripts/verify-expressive: dubs a generated clip whose lines differ in loudness, pitch and speed, with
// expressive prosody on, and checks the dub follows the source (Spearman ≥ 0.8 for energy and pitch), that the
// debug plans are written and that every line still fits its slot. Exit 0 when all is well, 1 otherwise.
// It uses its own embedded Temporal server (temporary state dir, port 17733) and stops it afterwards.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { measureClipFeatures, measureLineFeatures } from '../engines/prosodyFeatures.js';
import { spearman } from '../lib/prosody.js';
import { formatSrt } from '../formats/subtitles.js';
import { EXPRESSIVE_LINES } from '../test/fixtures/media.js';
import { makeSpeechClip } from './speechClip.js';
import { verify } from './verifyKit.js';

await verify('verify-expressive', 17733, 'expressive prosody verified', async ({ dir, check, cli }) => {
  const clip = await makeSpeechClip(path.join(dir, 'lines.mp4'), {
    lines: EXPRESSIVE_LINES.map((l) => l.text),
    gapSec: 2.5,
    speak: (i, out) => ['espeak-ng', '-v', 'en', '-a', String(EXPRESSIVE_LINES[i].a), '-p', String(EXPRESSIVE_LINES[i].p), '-s', String(EXPRESSIVE_LINES[i].s), '-w', out, '--stdin'],
  });
  const subs = path.join(dir, 'lines.srt');
  await writeFile(subs, formatSrt(clip.script));
  const r = await cli(['run', clip.video, '--subs', subs, '--tgt', 'es', '--expressive', 'source-audio', '--expressive-strength', '1', '--expressive-debug', '--output', path.join(dir, 'out')]);
  check(r.exitCode === 0, `expressive dub succeeds${r.exitCode ? `: ${String(r.stderr).trim()}` : ''}`);
  const job = path.join(dir, 'out', 'lines.es');
  const source = await measureLineFeatures(path.join(job, 'audio', 'analysis.16k.wav'), clip.script, clip.durationSec, 'en');
  const dub = await Promise.all(clip.script.map((_, i) => measureClipFeatures(path.join(job, 'tts', `${String(i).padStart(4, '0')}.wav`))));
  const energy = spearman(source.map((f) => f.rmsDb), dub.map((f) => f.rmsDb));
  const pitch = spearman(source.map((f) => f.f0MedianHz ?? 0), dub.map((f) => f.f0MedianHz ?? 0));
  check(energy >= 0.8, `dub energy follows the source: Spearman ${energy.toFixed(3)} ≥ 0.8`);
  check(pitch >= 0.8, `dub pitch follows the source: Spearman ${pitch.toFixed(3)} ≥ 0.8`);
  const plans = await Promise.all(clip.script.map((_, i) => readFile(path.join(job, 'expressive', 'plans', `${String(i).padStart(4, '0')}.json`), 'utf8').then(JSON.parse, () => undefined)));
  check(plans.every((p) => p?.applied && p.multipliers && p.category), 'a debug plan per line with features, category, multipliers and how they were applied');
  const report = JSON.parse(await readFile(path.join(job, 'report.json'), 'utf8').catch(() => '{"lines":[]}'));
  check(report.lines.length === clip.script.length && report.lines.every((l: { slot: { start: number; end: number }; dubDurationSec: number }) => l.slot.start + l.dubDurationSec <= l.slot.end + 1e-3), 'every line still fits its slot');
});
