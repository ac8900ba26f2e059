// Facts measured on media files with ffprobe/ffmpeg, for assertions.
import { run } from '../../engines/run.js';
import { parseSilencedetect, speechRegions, type Region } from '../../lib/speechRegions.js';

export interface ProbedStream { index: number; codec_type: string; codec_name: string; tags?: Record<string, string>; disposition?: Record<string, number> }

export async function probe(file: string): Promise<{ durationSec: number; streams: ProbedStream[] }> {
  const { stdout } = await run(['ffprobe', '-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
  const json = JSON.parse(stdout);
  return { durationSec: Number(json.format.duration), streams: json.streams };
}

/** Decodes every video and audio stream fully: ffmpeg reports any broken packet. */
export async function decodes(file: string): Promise<boolean> {
  const r = await run(['ffmpeg', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v', '-map', '0:a', '-f', 'null', '-'], { okExitCodes: [0, 1] });
  return r.exitCode === 0 && r.stderr.trim() === '';
}

/** Non-silent stretches of one audio stream (as a listener would mark the lines). */
export async function soundRegions(file: string, audioStream = 0, noiseDb = -35, minSilenceSec = 0.3): Promise<Region[]> {
  const { stderr } = await run(['ffmpeg', '-nostdin', '-hide_banner', '-i', file, '-map', `0:a:${audioStream}`, '-af', `silencedetect=n=${noiseDb}dB:d=${minSilenceSec}`, '-f', 'null', '-']);
  const { durationSec } = await probe(file);
  return speechRegions(parseSilencedetect(stderr), durationSec, 0.1);
}

/** Word error rate: word-level edit distance over the reference length (case and punctuation ignored). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' ').split(/\s+/).filter(Boolean);
  const r = norm(reference);
  const h = norm(hypothesis);
  const d = Array.from({ length: r.length + 1 }, (_, i) => [i, ...new Array(h.length).fill(0)]);
  for (let j = 1; j <= h.length; j++) d[0][j] = j;
  for (let i = 1; i <= r.length; i++) {
    for (let j = 1; j <= h.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
  }
  return d[r.length][h.length] / Math.max(1, r.length);
}
