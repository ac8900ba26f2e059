// How long prosody analysis takes on an episode: a generated 24-minute 16 kHz mono track of voiced sound
// (a gliding, harmonic-rich tone that changes level line by line), a line every 4 s, timed end to end.
//   node dist/scripts/benchProsody.js [minutes]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { measureLineFeatures, type FeatureLine } from '../engines/prosodyFeatures.js';
import { run } from '../engines/run.js';

const LINE_EVERY_SEC = 4;
const LINE_SEC = 3;

/** f0 glides 110..190 Hz over a minute; loudness steps per 4 s line; silent between lines. */
function voicedExpression(): string {
  const phase = '2*PI*(150*t-(40/(2*PI*0.0167))*cos(2*PI*0.0167*t))';
  const harmonics = `(sin(${phase})+0.5*sin(2*${phase})+0.33*sin(3*${phase})+0.25*sin(4*${phase}))`;
  const level = `(0.12+0.1*sin(1.7*floor(t/${LINE_EVERY_SEC})))`;
  const gate = `lt(mod(t,${LINE_EVERY_SEC}),${LINE_SEC})`;
  return `${gate}*${level}*${harmonics}`;
}

async function main(): Promise<void> {
  const minutes = Number(process.argv[2] ?? 24);
  const durationSec = minutes * 60;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-prosody-'));
  try {
    const wav = path.join(dir, 'analysis.16k.wav');
    const made = await run([
      'ffmpeg', '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `aevalsrc=exprs='${voicedExpression()}':s=16000:d=${durationSec}`,
      '-ac', '1', '-c:a', 'pcm_s16le', wav,
    ], { timeoutMs: 10 * 60_000 });

    const lines: FeatureLine[] = [];
    for (let t = 0; t + LINE_SEC <= durationSec; t += LINE_EVERY_SEC) {
      lines.push({ start: t, end: t + LINE_SEC, text: `This is synthetic line number ${lines.length + 1}, spoken at a steady pace.` });
    }

    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const features = await measureLineFeatures(wav, lines, durationSec, 'en');
    const wallMs = performance.now() - started;
    const voiced = features.filter((f) => f.f0MedianHz !== null).length;

    console.log(JSON.stringify({
      audioMinutes: minutes,
      lines: lines.length,
      generateWavMs: made.wallMs,
      analyseWallMs: Math.round(wallMs),
      realtimeFactor: Math.round(durationSec / (wallMs / 1000)),
      rssBeforeMiB: mib(rssBefore),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      linesWithPitch: voiced,
      firstLine: features[0],
    }, null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
