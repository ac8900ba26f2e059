// One cast for a whole season: which voice each speaker of a series has, per engine. Pure: the prepareVoices
// activity reads the series' cast.json under a lock, asks castVoices for this episode's voices, and writes back
// the cast with the speakers it added; `anime-dub cast` lists and changes it.
import type { Cast, CastEntry } from '../config/schema.js';
import { assignVoices, castByPitch, referenceNames, type AssignOptions, type SpeakerVoice, type VoiceEngine } from './voices.js';

export type { Cast, CastEntry } from '../config/schema.js';

export const EMPTY_CAST: Cast = { version: 1, entries: [] };

/** What makes two voices sound alike: the same voice (or model and speaker id) at the same pitch. */
export function voiceKey(v: Pick<SpeakerVoice, 'voice' | 'speakerId' | 'pitch' | 'reference'>): string {
  return JSON.stringify([v.voice ?? '', v.speakerId ?? 0, Math.round((v.pitch ?? 1) * 1000) / 1000, v.reference ?? '']);
}

export function castEntry(cast: Cast, speaker: string, engine: VoiceEngine): CastEntry | undefined {
  return cast.entries.find((e) => e.speaker === speaker && e.engine === engine);
}

/** A cast entry as the job's voice (xtts references are placed in the job folder by the activity). */
export function voiceOfEntry(e: CastEntry, jobReference?: string, jobEngine?: VoiceEngine): SpeakerVoice {
  return {
    speaker: e.speaker,
    ...(jobEngine && e.engine !== jobEngine ? { engine: e.engine } : {}),
    ...(e.voice !== undefined ? { voice: e.voice } : {}),
    ...(e.speakerId !== undefined ? { speakerId: e.speakerId } : {}),
    ...(e.pitch !== undefined && Math.abs(e.pitch - 1) > 1e-3 ? { pitch: e.pitch } : {}),
    ...(jobReference ? { reference: jobReference } : {}),
  };
}

/**
 * The automatic voices of an engine, in the order a job hands them out (the first is the job's own voice):
 * espeak-ng variants, a multi-speaker piper model's speakers, or pitch factors for a one-voice engine.
 */
export function voiceCandidates(o: AssignOptions): SpeakerVoice[] {
  const count = o.engine === 'espeak-ng' ? 1 + o.espeakVariants.length
    : o.engine === 'piper' && (o.modelSpeakers ?? 1) > 1 ? o.modelSpeakers!
      : o.engine === 'xtts' ? 0 : 7;
  const names = Array.from({ length: count }, (_, i) => `candidate${i}`);
  return assignVoices(names, { ...o, speakerVoices: undefined });
}

export interface CastAssignment {
  /** This episode's voices, in its speakers' order. */
  voices: SpeakerVoice[];
  /** The cast with the speakers this episode added (at the end, in order of first appearance). */
  cast: Cast;
  /** Speakers the cast already knew, and those this episode added. */
  known: string[];
  added: string[];
  /** Set when the engine ran out of distinct voices and a new speaker had to share one. */
  note?: string;
}

/**
 * Voices for an episode from the series' cast: a speaker the cast knows (for this engine) keeps that voice; a
 * new one gets, in order of first appearance, its explicit choice (tts.speakerVoices) or the first automatic
 * voice nobody in the cast (or in this episode) has, and is added to the cast. An explicit choice for a known
 * speaker applies to this episode only (`anime-dub cast set` changes the cast). The first episode of a series
 * gets exactly the voices a job without a series would.
 */
export function castVoices(cast: Cast, speakers: readonly string[], o: AssignOptions, addedBy?: string): CastAssignment {
  const entries = [...cast.entries];
  const known: string[] = [];
  const added: string[] = [];
  // A cast matched to the source may mix engines (auto's English: piper's joe and Kokoro voices).
  const engines = new Set<string>([o.engine, ...(o.palettes ? [...o.palettes.female, ...o.palettes.male].map((v) => v.engine) : [])]);
  const entryOf = (speaker: string) => entries.findIndex((e) => e.speaker === speaker && e.engine === o.engine) >= 0
    ? entries.findIndex((e) => e.speaker === speaker && e.engine === o.engine)
    : entries.findIndex((e) => e.speaker === speaker && engines.has(e.engine));
  const used = new Set(entries.filter((e) => engines.has(e.engine)).map((e) => voiceKey(e)));
  // New speakers of a cast matched to the source: by pitch, the voices the cast has not given anyone yet.
  const newcomers = speakers.filter((s) => entryOf(s) < 0 && !o.speakerVoices?.[s]);
  const taken = new Set(entries.filter((e) => engines.has(e.engine) && e.voice).map((e) => `${e.engine}:${e.voice}`));
  const byPitch = o.palettes ? new Map(castByPitch(newcomers, o.profiles ?? [], o.palettes, taken).map((v) => [v.speaker, v])) : undefined;
  for (const s of speakers) {
    const chosen = o.speakerVoices?.[s];
    if (chosen && !castEntry(cast, s, o.engine)) used.add(voiceKey({ voice: chosen }));
  }
  const candidates = voiceCandidates(o);
  const usedRefs = new Set(entries.flatMap((e) => (e.reference ? [e.reference.toLowerCase()] : [])));
  const jobRefs = referenceNames(speakers);
  let shared = 0;
  const voices = speakers.map((speaker, i): SpeakerVoice => {
    const jobReference = o.engine === 'xtts' ? `voices/${jobRefs[i]}.wav` : undefined;
    const at = entryOf(speaker);
    if (at >= 0) {
      const have = entries[at];
      known.push(speaker);
      // A cloned voice the cast knows but has no clip for yet (a --cast entry): this episode's clip becomes it.
      if (o.engine === 'xtts' && !have.reference) entries[at] = { ...have, reference: `voices/${uniqueName(jobRefs[i], usedRefs)}.wav` };
      const chosen = o.speakerVoices?.[speaker];
      return chosen ? { speaker, voice: chosen, ...(o.voiceEngine?.(chosen) && o.voiceEngine(chosen) !== o.engine ? { engine: o.voiceEngine(chosen) } : {}) } : voiceOfEntry(have, jobReference, o.engine);
    }
    added.push(speaker);
    let voice: SpeakerVoice;
    if (o.engine === 'xtts') {
      voice = { speaker, reference: jobReference };
    } else if (o.speakerVoices?.[speaker]) {
      const engine = o.voiceEngine?.(o.speakerVoices[speaker]);
      voice = { speaker, voice: o.speakerVoices[speaker], ...(engine && engine !== o.engine ? { engine } : {}) };
    } else if (byPitch?.has(speaker)) {
      voice = byPitch.get(speaker)!;
      if (voice.engine === o.engine) voice = { ...voice, engine: undefined };
    } else {
      const free = candidates.find((c) => !used.has(voiceKey(c)));
      // Every automatic voice is taken: share the least recent one rather than fail the episode.
      const pick = free ?? candidates[(shared++ + entries.length) % candidates.length];
      voice = { ...pick, speaker };
    }
    used.add(voiceKey(voice));
    entries.push({
      speaker, engine: voice.engine ?? o.engine,
      ...(voice.voice !== undefined ? { voice: voice.voice } : {}),
      ...(voice.speakerId !== undefined ? { speakerId: voice.speakerId } : {}),
      ...(voice.pitch !== undefined ? { pitch: voice.pitch } : {}),
      ...(o.engine === 'xtts' ? { reference: `voices/${uniqueName(jobRefs[i], usedRefs)}.wav` } : {}),
      ...(addedBy ? { addedBy } : {}),
    });
    return voice;
  });
  return {
    voices, cast: { version: 1, entries }, known, added,
    ...(shared ? { note: `${o.engine} has ${candidates.length} distinct voices; ${shared} new speaker(s) share one` } : {}),
  };
}

/** Where `cast set` puts a speaker's own xtts clip: their existing one, else a name no other speaker's clip has. */
export function castReferenceFor(cast: Cast, speaker: string): string {
  const have = castEntry(cast, speaker, 'xtts')?.reference;
  if (have) return have;
  const used = new Set(cast.entries.flatMap((e) => (e.reference ? [e.reference.toLowerCase()] : [])));
  return `voices/${uniqueName(referenceNames([speaker])[0], used)}.wav`;
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(`voices/${name}.wav`.toLowerCase()); n++) name = `${base}-${n}`;
  used.add(`voices/${name}.wav`.toLowerCase());
  return name;
}

/** The cast with one speaker's voice set (replacing their voice for that engine, or added at the end). */
export function setCastVoice(cast: Cast, entry: CastEntry): Cast {
  const at = cast.entries.findIndex((e) => e.speaker === entry.speaker && e.engine === entry.engine);
  const entries = [...cast.entries];
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
  return { version: 1, entries };
}

/** Entries given with a job (--cast FILE) set over the series' own. */
export function mergeCasts(base: Cast, over: Cast): Cast {
  return over.entries.reduce(setCastVoice, base);
}

/** `anime-dub cast list`: one row per speaker and engine, in the order they joined. */
export function castTable(cast: Cast): string {
  if (!cast.entries.length) return '(no speakers yet: the first episode dubbed with this series adds them)';
  const rows = cast.entries.map((e) => [e.speaker, e.engine, e.voice ?? '', e.speakerId === undefined ? '' : String(e.speakerId),
    e.pitch === undefined ? '' : String(e.pitch), e.reference ?? '', e.addedBy ?? '']);
  const head = ['speaker', 'engine', 'voice', 'id', 'pitch', 'reference', 'added by'];
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i].length))));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
