// scripts/verify-expressive: dubs a generated clip whose lines differ in loudness, pitch and speed, with
// expressive prosody on, and checks the dub follows the source (Spearman ≥ 0.8 for energy and pitch), that the
// debug plans are written and that every line still fits its slot. Exit 0 when all is well, 1 otherwise.
// It uses its own embedded Temporal server (temporary state dir, port 17733) and stops it afterwards.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { measureClipFeatures, measureLineFeatures } from '../activities/prosodyFeatures.js';
import { spearman } from '../lib/prosody.js';
import { formatSrt } from '../lib/subtitles.js';
import { EXPRESSIVE_LINES } from '../test/fixtures/media.js';
import { makeSpeechClip } from './speechClip.js';

const CLI = fileURLToPath(new URL('../client/cli.js', import.meta.url));
let failed = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
};

const dir = await mkdtemp(path.join(os.tmpdir(), 'verify-expressive-'));
const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: path.join(dir, 'state'), ANIME_DUB_SERVER_PORT: '17733', ANIME_DUB_UI_PORT: '17734' };
try {
  const clip = await makeSpeechClip(path.join(dir, 'lines.mp4'), {
    lines: EXPRESSIVE_LINES.map((l) => l.text),
    gapSec: 2.5,
    speak: (i, out) => ['espeak-ng', '-v', 'en', '-a', String(EXPRESSIVE_LINES[i].a), '-p', String(EXPRESSIVE_LINES[i].p), '-s', String(EXPRESSIVE_LINES[i].s), '-w', out, '--stdin'],
  });
  const subs = path.join(dir, 'lines.srt');
  await writeFile(subs, formatSrt(clip.script));
  const r = await execa(process.execPath, [CLI, 'run', clip.video, '--subs', subs, '--tgt', 'es', '--expressive', 'source-audio', '--expressive-strength', '1', '--expressive-debug', '--output', path.join(dir, 'out')], { env, reject: false, cwd: dir });
  check(r.exitCode === 0, `expressive dub succeeds${r.exitCode ? `: ${r.stderr.trim()}` : ''}`);
  const job = path.join(dir, 'out', 'lines');
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
} finally {
  await execa(process.execPath, [CLI, 'server', 'stop'], { env, reject: false, cwd: dir });
  await rm(dir, { recursive: true, force: true });
}
console.log(failed ? `${failed} check(s) failed` : 'expressive prosody verified');
process.exit(failed ? 1 : 0);
