// Who speaks with which voice. Pure: the workflow decides with it whether voices need preparing, the
// prepareVoices activity builds the plan with it, synthesizeLine looks a line's voice up in it.
import type { Line } from './line.js';
import type { TtsEngineName } from '../config/ttsEngineNames.js';
import { namedDiarizer } from '../config/engineNames.js';

/** Lines nobody named belong to one speaker. */
export const DEFAULT_SPEAKER = 'S1';

export type VoiceEngine = TtsEngineName;

export interface SpeakerVoice {
  speaker: string;
  /** espeak-ng voice ("es+f2"), festival voice, or piper model (.onnx path or voice name). */
  voice?: string;
  /** piper: speaker id inside a multi-speaker model. */
  speakerId?: number;
  /** Pitch factor for engines with a single voice (1 = unchanged). */
  pitch?: number;
  /** xtts: the speaker's reference clip, relative to the job folder. */
  reference?: string;
  /** The engine of this voice when it is not the plan's (auto's English cast: Kokoro voices beside piper's joe). */
  engine?: TtsEngineName;
  /** A cast matched to the source: the speaker's register, their median F0 there (null: too little voiced speech), and why when it was a guess. */
  register?: Register;
  sourcePitchHz?: number | null;
  why?: string;
}

export type Register = 'female' | 'male';

/** What a cast matched to the source knows of a speaker. */
export interface SpeakerProfile {
  speaker: string;
  /** Seconds of their lines: the most talkative get the most distinct voices. */
  talkSec: number;
  /** Median F0 of their voiced speech in the source; null when there was too little of it to tell. */
  pitchHz: number | null;
  /** Seconds of voiced speech the pitch came from. */
  voicedSec: number;
}

/** A source voice at or above this median F0 is given a female voice (adult male speech sits near 85–155 Hz). */
export const FEMALE_FROM_HZ = 165;
/** Less voiced speech than this and a speaker's pitch is not trusted. */
export const MIN_VOICED_SEC = 1;

export interface PaletteVoice {
  engine: TtsEngineName;
  voice: string;
}

/** Voices by register, most distinct first. */
export interface CastPalettes {
  female: readonly PaletteVoice[];
  male: readonly PaletteVoice[];
}

export interface VoicePlan {
  engine: VoiceEngine;
  /** In order of first appearance. */
  speakers: SpeakerVoice[];
  /** Where the speakers came from, and why when it is not what was asked for. */
  speakersFrom: 'lines' | 'diarizer' | 'single';
  note?: string;
  /** Speakers given by diarization (line index → speaker); lines absent here keep their own. */
  lineSpeakers?: Record<string, string>;
  /** With a series cast: its folder (relative to the output folder), the speakers it knew and those this job added. */
  cast?: { series?: string; folder?: string; known: string[]; added: string[] };
}

export function speakerOf(line: Pick<Line, 'speaker'>): string {
  return line.speaker?.trim() || DEFAULT_SPEAKER;
}

/** Distinct speakers by first appearance in time (ties by line index): the order voices are handed out. */
export function speakersInOrder(lines: readonly Pick<Line, 'speaker' | 'start' | 'index'>[]): string[] {
  const seen = new Set<string>();
  for (const l of [...lines].sort((a, b) => a.start - b.start || a.index - b.index)) seen.add(speakerOf(l));
  return [...seen];
}

/** prepareVoices is needed for voice cloning, for several speakers, for chosen voices, for Kokoro, or when diarization is asked for. */
export function voicesNeeded(engine: string, lines: readonly Pick<Line, 'speaker' | 'start' | 'index'>[], tts?: { diarize?: string; speakerVoices?: Record<string, string> }): boolean {
  if (engine === 'xtts' || namedDiarizer(tts?.diarize) !== undefined || Object.keys(tts?.speakerVoices ?? {}).length > 0) return true;
  // Kokoro matches even a lone speaker's voice to the source's pitch.
  if (engine === 'kokoro') return true;
  return speakersInOrder(lines).length > 1;
}

export function voiceFor(plan: VoicePlan | undefined, line: Pick<Line, 'speaker' | 'index'>): SpeakerVoice | undefined {
  if (!plan) return undefined;
  const who = plan.lineSpeakers?.[String(line.index)] ?? speakerOf(line);
  return plan.speakers.find((s) => s.speaker === who) ?? plan.speakers[0];
}

/** Pitch factors for the second, third… speaker of a one-voice engine (festival, a one-speaker piper model). */
export const SPEAKER_PITCHES = [0.8, 1.22, 0.7, 1.35, 0.9, 1.1];

export interface AssignOptions {
  engine: VoiceEngine;
  /** The job's voice: espeak-ng voice or language, festival voice, piper model. */
  baseVoice: string;
  /** Explicit choices (tts.speakerVoices) win over the automatic ones. */
  speakerVoices?: Record<string, string>;
  /** piper: speakers in the model (1 = a one-voice model). */
  modelSpeakers?: number;
  espeakVariants: readonly string[];
  /** A cast matched to the source: voices by register, and what was measured of each speaker. */
  palettes?: CastPalettes;
  profiles?: readonly SpeakerProfile[];
  /** Which engine speaks an explicitly chosen voice, in a cast that mixes engines. */
  voiceEngine?(voice: string): TtsEngineName | undefined;
}

export function registerOf(p: Pick<SpeakerProfile, 'pitchHz' | 'voicedSec'>): Register | undefined {
  if (p.pitchHz === null || p.voicedSec < MIN_VOICED_SEC) return undefined;
  return p.pitchHz >= FEMALE_FROM_HZ ? 'female' : 'male';
}

const paletteKey = (v: PaletteVoice) => `${v.engine}:${v.voice}`;

/**
 * Voices matched to the source: each speaker's register from their pitch; within a register the palette's voices,
 * most distinct first, go to the speakers who talk most. `taken` (engine:voice) are skipped while free ones remain
 * (a series' cast). A speaker whose pitch could not be measured gets the next free voice of the register with more
 * left, and says why. Returned in the order of `speakers`.
 */
export function castByPitch(speakers: readonly string[], profiles: readonly SpeakerProfile[], palettes: CastPalettes, taken: ReadonlySet<string> = new Set()): SpeakerVoice[] {
  const byName = new Map(profiles.map((p) => [p.speaker, p]));
  const profile = (s: string): SpeakerProfile => byName.get(s) ?? { speaker: s, talkSec: 0, pitchHz: null, voicedSec: 0 };
  const used = new Set(taken);
  const next = { female: 0, male: 0 };
  const take = (register: Register): PaletteVoice => {
    const list = palettes[register];
    const free = list.find((v) => !used.has(paletteKey(v)));
    // Every voice of the register is taken: share one, the least recently handed out.
    const pick = free ?? list[next[register]++ % list.length];
    used.add(paletteKey(pick));
    return pick;
  };
  const left = (r: Register) => palettes[r].filter((v) => !used.has(paletteKey(v))).length;
  const talkative = [...speakers].sort((a, b) => profile(b).talkSec - profile(a).talkSec || speakers.indexOf(a) - speakers.indexOf(b));
  const out = new Map<string, SpeakerVoice>();
  // Measured speakers first (the most talkative first), so a guess never takes a voice someone's pitch asked for.
  for (const measured of [true, false]) {
    for (const speaker of talkative) {
      const p = profile(speaker);
      const heard = registerOf(p);
      if (!!heard !== measured) continue;
      const register = heard ?? (left('female') > left('male') ? 'female' : 'male');
      const v = take(register);
      out.set(speaker, {
        speaker, voice: v.voice, engine: v.engine, register, sourcePitchHz: p.pitchHz,
        ...(heard ? {} : { why: `pitch not measured (${p.voicedSec.toFixed(1)} s of voiced speech, under ${MIN_VOICED_SEC} s): given the ${register} voice with most left` }),
      });
    }
  }
  return speakers.map((s) => out.get(s)!);
}

/**
 * One voice per speaker, stable for a given speaker order: the first speaker keeps the job's voice (so a
 * one-speaker job sounds as before), the others get distinct ones.
 */
export function assignVoices(speakers: readonly string[], o: AssignOptions): SpeakerVoice[] {
  if (o.palettes) {
    const cast = castByPitch(speakers, o.profiles ?? [], o.palettes);
    return cast.map((v) => {
      const chosen = o.speakerVoices?.[v.speaker];
      return chosen ? { ...v, voice: chosen, engine: o.voiceEngine?.(chosen) ?? o.engine, why: undefined } : v;
    }).map(dropUndefined);
  }
  const files = referenceNames(speakers);
  return speakers.map((speaker, i) => {
    const chosen = o.speakerVoices?.[speaker];
    switch (o.engine) {
      case 'xtts':
        return { speaker, reference: `voices/${files[i]}.wav` };
      case 'espeak-ng':
        return { speaker, voice: chosen ?? (i === 0 ? o.baseVoice : `${o.baseVoice.split('+')[0]}+${o.espeakVariants[(i - 1) % o.espeakVariants.length]}`) };
      case 'piper': {
        if (chosen) return { speaker, voice: chosen };
        if ((o.modelSpeakers ?? 1) > 1) return { speaker, voice: o.baseVoice, speakerId: i % o.modelSpeakers! };
        return { speaker, voice: o.baseVoice, ...(i > 0 ? { pitch: SPEAKER_PITCHES[(i - 1) % SPEAKER_PITCHES.length] } : {}) };
      }
      case 'festival':
        if (chosen) return { speaker, voice: chosen };
        return { speaker, voice: o.baseVoice, ...(i > 0 ? { pitch: SPEAKER_PITCHES[(i - 1) % SPEAKER_PITCHES.length] } : {}) };
      case 'kokoro':
        // Kokoro without a palette (no pitch measured): its voices in order.
        return { speaker, voice: chosen ?? (i === 0 ? o.baseVoice : ['jm_kumo', 'jf_alpha', 'jf_nezumi', 'jf_gongitsune', 'jf_tebukuro'][(i - 1) % 5]) };
    }
  });
}

function dropUndefined<T extends object>(v: T): T {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as T;
}

/** File-name-safe, unique names for speakers ("Mio Akiyama" → "Mio_Akiyama"; a clash gets "-2"). */
export function referenceNames(speakers: readonly string[]): string[] {
  const used = new Set<string>();
  return speakers.map((s) => {
    const base = s.normalize('NFC').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '').slice(0, 60) || 'speaker';
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    used.add(name.toLowerCase());
    return name;
  });
}

export interface ReferenceLimits {
  /** Lines in this range are preferred; longer ones are cut to maxLineSec. */
  minLineSec: number;
  maxLineSec: number;
  /** Stop once the clip is this long; try to reach minTotalSec with shorter lines if need be. */
  minTotalSec: number;
  maxTotalSec: number;
  /** Shorter lines are never used (mostly breath and edges). */
  floorSec: number;
  /** Another speaker's line this close counts as overlap. */
  marginSec: number;
}

export const REFERENCE_LIMITS: ReferenceLimits = { minLineSec: 3, maxLineSec: 12, minTotalSec: 6, maxTotalSec: 15, floorSec: 0.8, marginSec: 0.1 };

export interface ReferencePick {
  speaker: string;
  /** In time order: the order they are joined. */
  spans: { start: number; end: number; line: number }[];
  totalSec: number;
  /** False when no clean line was long enough and overlapping ones were used. */
  clean: boolean;
}

/**
 * The speaker's reference clip: their longest clean lines (no other speaker within the margin), preferring
 * 3–12 s lines, up to ~15 s in all; shorter clean lines fill up to 6 s when the long ones are not enough.
 */
export function pickReference(lines: readonly Line[], speaker: string, limits: ReferenceLimits = REFERENCE_LIMITS): ReferencePick {
  const own = lines.filter((l) => speakerOf(l) === speaker && l.end - l.start >= limits.floorSec);
  const others = lines.filter((l) => speakerOf(l) !== speaker);
  const overlaps = (l: Line) => others.some((o) => o.start < l.end + limits.marginSec && o.end > l.start - limits.marginSec);
  const clean = own.filter((l) => !overlaps(l));
  const pool = clean.length ? clean : own;
  const byLength = (a: Line, b: Line) => (b.end - b.start) - (a.end - a.start) || a.start - b.start;
  const long = pool.filter((l) => l.end - l.start >= limits.minLineSec).sort(byLength);
  const short = pool.filter((l) => l.end - l.start < limits.minLineSec).sort(byLength);

  const spans: ReferencePick['spans'] = [];
  let total = 0;
  const take = (l: Line, budget: number) => {
    const len = Math.min(l.end - l.start, limits.maxLineSec, budget);
    if (len < limits.floorSec) return;
    spans.push({ start: l.start, end: round3(l.start + len), line: l.index });
    total += len;
  };
  for (const l of long) {
    if (total >= limits.maxTotalSec) break;
    take(l, limits.maxTotalSec - total);
  }
  for (const l of short) {
    if (total >= limits.minTotalSec) break;
    take(l, limits.maxTotalSec - total);
  }
  spans.sort((a, b) => a.start - b.start);
  return { speaker, spans, totalSec: round3(total), clean: clean.length > 0 };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
