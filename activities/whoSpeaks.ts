// Who speaks each line, for the voices stage: the lines' own speakers when they name them; otherwise a diarizer on
// the source audio. By default that is the embedded one (Silero VAD + CAM++ embeddings clustered, engines/voiceActivity.ts:
// offline, no torch), so every job gets a speaker per line; pyannote (torch, a gated model) when asked for.
import { loadSettings } from '../config/load.js';
import { namedDiarizer } from '../config/engineNames.js';
import { diarizerNamed } from '../engines/voiceEngines.js';
import { voiceTurns } from '../engines/voiceActivity.js';
import { speakersFromTurns } from '../lib/diarizer.js';
import type { AudioTracks, Line, PreparedJob } from '../lib/job.js';
import type { VoicePlan } from '../lib/voices.js';
import { inJob } from '../storage/artifacts.js';

export interface Speakers {
  from: VoicePlan['speakersFrom'];
  note?: string;
  lineSpeakers?: Record<string, string>;
  /** Median source pitch (Hz) of each diarized speaker's voiced stretches, where it could be measured. */
  pitchHz?: Record<string, number>;
}

/** Lines that name nobody are diarized unless tts.diarize is off (the voices stage then runs for every job). */
export function diarizationWanted(prep: PreparedJob, lines: readonly Pick<Line, 'speaker'>[]): boolean {
  return (prep.options.tts.diarize ?? 'auto') !== 'off' && !lines.some((l) => l.speaker?.trim());
}

/**
 * Lines that name their speakers (ASS Name, WebVTT <v>, review edits) are believed. Otherwise the embedded
 * diarizer runs (tts.diarize auto), or pyannote when asked for (tts.diarize pyannote; when it is not installed,
 * the embedded one, and the note says why); with tts.diarize off everyone is S1.
 */
export async function whoSpeaks(prep: PreparedJob, audio: AudioTracks, lines: Line[]): Promise<Speakers> {
  if (lines.some((l) => l.speaker?.trim())) return { from: 'lines' };
  const mode = prep.options.tts.diarize ?? 'auto';
  if (mode === 'off') return { from: 'single', note: 'the lines name no speakers and tts.diarize is off: one voice for every line' };
  const wav = inJob(prep.job, audio.analysis);
  let fallback = '';
  const named = namedDiarizer(mode);
  if (named) {
    const diarizer = diarizerNamed(named, loadSettings().plugins.python)!;
    const ready = await diarizer.check();
    if (ready.available) {
      const turns = await diarizer.run(wav);
      return { from: 'diarizer', note: `${diarizer.name}: ${new Set(turns.map((t) => t.label)).size} speakers in ${turns.length} turns`, lineSpeakers: speakersFromTurns(lines, turns) };
    }
    fallback = `diarizer ${named} unavailable (${ready.reason}); `;
  }
  const { turns, speakers } = await voiceTurns(wav);
  const lineSpeakers = speakersFromTurns(lines, turns);
  return {
    from: 'diarizer',
    note: `${fallback}embedded diarizer (Silero VAD + CAM++ speaker embeddings): ${speakers} speaker${speakers === 1 ? '' : 's'} in ${turns.length} voiced stretches`,
    lineSpeakers,
    pitchHz: pitchOf(lines, lineSpeakers, turns),
  };
}

/** Each speaker's median pitch over the voiced stretches inside their lines (stretches with a measured pitch only). */
function pitchOf(lines: readonly Line[], lineSpeakers: Record<string, string>, turns: readonly { start: number; end: number; f0: number | null }[]): Record<string, number> {
  const bySpeaker = new Map<string, number[]>();
  for (const l of lines) {
    const who = lineSpeakers[String(l.index)];
    for (const t of turns) {
      if (t.f0 === null || Math.min(l.end, t.end) - Math.max(l.start, t.start) <= 0) continue;
      bySpeaker.set(who, [...(bySpeaker.get(who) ?? []), t.f0]);
    }
  }
  const out: Record<string, number> = {};
  for (const [who, f0s] of bySpeaker) out[who] = [...f0s].sort((a, b) => a - b)[Math.floor(f0s.length / 2)];
  return out;
}
