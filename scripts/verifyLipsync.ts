// scripts/verify-lipsync-plugin: proves the lip-sync path end to end on this machine, exit 0 or 1.
// 1. With a Wav2Lip stand-in (same command line as stock Wav2Lip): a strict run must produce <stem>.lipsync.mp4
//    with the face box painted where we asked and every audio and subtitle track.
// 2. With the plugin missing: the job must still succeed and say lip-sync was skipped and why.
// 3. Reports whether a real Wav2Lip is configured here (WAV2LIP_DIR / ./Wav2Lip / ~/Wav2Lip).
// It uses its own embedded Temporal server (temporary state dir, port 17533) and stops it afterwards.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { wav2lip } from '../engines/lipsync/wav2lip.js';
import { loadSettings } from '../config/load.js';
import { makeWav2LipStandin } from '../test/fixtures/wav2lipStandin.js';
import { makeSpeechClip } from './speechClip.js';
import { verify } from './verifyKit.js';

// The picture is what this checks: one espeak-ng narrator keeps the two dubs cheap (a Kokoro cast costs ~1 CPU-s
// per second of speech).
const ONE_VOICE = ['--tts', 'espeak-ng', '--set', 'tts.diarize=off'];

await verify('verify-lipsync', 17533, 'lip-sync plugin verified', async ({ dir, check, cli }) => {
  const clip = await makeSpeechClip(path.join(dir, 'clip.mp4'), { lines: ['Good morning everyone.', 'Thank you very much.'], leadSec: 0.5, gapSec: 1.5, tailSec: 0.5 });
  const repo = await makeWav2LipStandin(path.join(dir, 'Wav2Lip'));

  const strict = await cli(['run', clip.video, ...ONE_VOICE, '--lipsync', 'wav2lip', '--strict-plugins', '--wav2lip-dir', repo.dir, '--lipsync-face', 'bbox', '--lipsync-box', '40,30,120,90', '--output', path.join(dir, 'out1')]);
  check(strict.exitCode === 0, `strict run with the stand-in succeeds${strict.exitCode ? `: ${String(strict.stderr).trim()}` : ''}`);
  const out = path.join(dir, 'out1', 'clip.es', 'clip.es.lipsync.mp4');
  const probe = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', out], { reject: false });
  const kinds = probe.stdout.split('\n').join(',');
  check(kinds === 'video,audio,audio,subtitle,subtitle', `clip.es.lipsync.mp4 has video, 2 audio and 2 subtitle streams (${kinds || probe.stderr.trim()})`);
  const argv = await readFile(path.join(dir, 'out1', 'clip.es', 'tmp', 'lipsync', 'temp', 'standin-argv.json'), 'utf8').then(JSON.parse, () => ({ argv: [] }));
  check(argv.argv.join(' ').includes('--box 30 90 40 120'), 'the box reaches Wav2Lip as top bottom left right');

  const soft = await cli(['run', clip.video, ...ONE_VOICE, '--lipsync', 'wav2lip', '--output', path.join(dir, 'out2')], { WAV2LIP_DIR: path.join(dir, 'no-such-repo') });
  check(soft.exitCode === 0 && /Lip-sync skipped \(wav2lip\): Wav2Lip repo not found/.test(String(soft.stdout)), 'a missing plugin falls back to the plain dub and says why');

  const real = await wav2lip.check(loadSettings(), true);
  console.log(`info real Wav2Lip here: ${real.available ? `available (${real.detail})` : real.reason}`);
});
