// How long reading and classifying a release's ASS takes when it is mostly karaoke effects: the generated OP/ED
// of test/fixtures/releaseSubtitles.ts repeated N times, 30 s apart (each copy ~370 per-syllable events and one
// dialogue line), read (ass-compiler) and classified (songs by traits, bursts, captions check), timed end to end.
//   node dist/scripts/benchSubtitles.js [copies...]
import { performance } from 'node:perf_hooks';
import { readCues } from '../formats/subtitles.js';
import { classifyCues } from '../lib/subtitleEvents.js';
import { karaokeRelease } from '../test/fixtures/releaseSubtitles.js';

/** The fixture's events shifted by `offset` seconds (times are H:MM:SS.cc in fields 2 and 3). */
function shifted(ass: string, offset: number): string[] {
  const events = ass.split('\n').filter((r) => /^(?:Dialogue|Comment):/.test(r));
  const time = (t: string) => {
    const [h, m, s] = t.split(':').map(Number);
    const x = h * 3600 + m * 60 + s + offset;
    const cs = Math.round(x * 100);
    return `${Math.floor(cs / 360000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
  };
  return events.map((r) => {
    const f = r.split(',');
    f[1] = time(f[1]);
    f[2] = time(f[2]);
    return f.join(',');
  });
}

function main(): void {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  for (const copies of counts.length ? counts : [1, 24, 100]) {
    const one = karaokeRelease();
    const head = one.ass.split('\n').filter((r) => !/^(?:Dialogue|Comment):/.test(r));
    const ass = [...head, ...Array.from({ length: copies }, (_, i) => shifted(one.ass, i * 30)).flat()].join('\n');
    const t0 = performance.now();
    const parsed = readCues(ass);
    const t1 = performance.now();
    const { lines, skipped } = classifyCues(parsed.cues);
    const t2 = performance.now();
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(`${copies} copies: ${parsed.cues.length} events (${(ass.length / 2 ** 20).toFixed(1)} MiB) read in ${((t1 - t0) / 1000).toFixed(2)} s, classified in ${((t2 - t1) / 1000).toFixed(2)} s; ${lines.length} voiced (expected ${copies}), ${skipped.length} skipped; RSS ${rss.toFixed(0)} MiB`);
  }
}

main();
