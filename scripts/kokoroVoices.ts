// Kokoro's cast voices measured on this machine: each palette voice (and blend) speaks the same Spanish and English
// sentences in a warm engine host; for each we print its median F0 (the project's pitch tracker, as the tests
// measure dubs) and the host's CPU seconds per second of audio. Rerunnable:
//   npx tsc -p tsconfig.json && node dist/scripts/kokoroVoices.js [es|en|fr|pt|it …]
// Results go into docs/PERFORMANCE.md by hand, with the machine and date.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { measureClipFeatures } from '../engines/prosodyFeatures.js';
import { closeEngineHosts, hostPool } from '../engines/engineHost.js';
import { kokoroSpeak } from '../engines/kokoro.js';
import { KOKORO_PALETTE } from '../engines/ttsEngines.js';

const SENTENCES: Record<string, string> = {
  es: 'Buenos días. Hoy hace un tiempo muy bueno, pero dicen que va a llover por la tarde.',
  en: 'Good morning. The weather is really nice today, but I heard it is going to rain this afternoon.',
  fr: 'Bonjour. Il fait vraiment beau aujourd’hui, mais il va pleuvoir cet après-midi.',
  pt: 'Bom dia. O tempo está muito bom hoje, mas dizem que vai chover à tarde.',
  it: 'Buongiorno. Oggi il tempo è davvero bello, ma dicono che pioverà nel pomeriggio.',
};

/** User + system CPU seconds of a process so far (Linux /proc). */
async function cpuSec(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

async function main(): Promise<void> {
  const languages = process.argv.slice(2).length ? process.argv.slice(2) : ['es'];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kokoro-voices-'));
  const voices = [...KOKORO_PALETTE.female.map((v) => ['female', v]), ...KOKORO_PALETTE.male.map((v) => ['male', v])];
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}; ${new Date().toISOString()}`);
  // Warm the host (model load) before measuring.
  await kokoroSpeak(path.join(dir, 'warm.wav'), 'Hola.', 'es', 'jf_alpha');
  const pid = hostPool().pids()[0];
  console.log('| language | register | voice | median F0 (Hz) | audio (s) | CPU-s per audio-s | wall-s per audio-s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  let totalAudio = 0;
  let totalCpu = 0;
  for (const language of languages) {
    for (const [register, voice] of voices) {
      const out = path.join(dir, `${language}-${voice}.wav`);
      const [cpu0, wall0] = [await cpuSec(pid), Date.now()];
      const { durationSec } = await kokoroSpeak(out, SENTENCES[language], language, voice);
      const [cpu, wall] = [(await cpuSec(pid)) - cpu0, (Date.now() - wall0) / 1000];
      const { f0MedianHz } = await measureClipFeatures(out);
      totalAudio += durationSec;
      totalCpu += cpu;
      console.log(`| ${language} | ${register} | ${voice} | ${f0MedianHz?.toFixed(0) ?? '—'} | ${durationSec.toFixed(2)} | ${(cpu / durationSec).toFixed(2)} | ${(wall / durationSec).toFixed(2)} |`);
    }
  }
  console.log(`all: ${totalAudio.toFixed(1)} s of audio, ${(totalCpu / totalAudio).toFixed(2)} CPU-s per audio-s`);
  await rm(dir, { recursive: true, force: true });
  await closeEngineHosts();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
