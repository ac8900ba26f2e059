// A cast matched to the source (lib/voices.ts castByPitch, lib/cast.ts castVoices with palettes) and the Kokoro
// voice names a job may give (engines/kokoro.ts). Pure: no engine runs here.
import { describe, expect, it } from '@jest/globals';
import { castVoices, EMPTY_CAST } from '../../lib/cast.js';
import { assignVoices, castByPitch, voicesNeeded, type AssignOptions, type CastPalettes, type SpeakerProfile } from '../../lib/voices.js';
import { kokoroRequest, kokoroVoiceName, parseKokoroVoice } from '../../engines/kokoro.js';
import { KOKORO_PALETTE, ttsEngineList } from '../../engines/ttsEngines.js';
import { TTS_ENGINE_NAMES, hasRateKnob } from '../../config/ttsEngineNames.js';
import { jobOptionsSchema } from '../../config/schema.js';

const kokoro = (list: readonly string[]) => list.map((voice) => ({ engine: 'kokoro' as const, voice }));
const PALETTES: CastPalettes = { female: kokoro(KOKORO_PALETTE.female), male: kokoro(KOKORO_PALETTE.male) };
const JOE = '/models/piper/en_US-joe-medium.onnx';
const ENGLISH: CastPalettes = { female: kokoro(KOKORO_PALETTE.female), male: [{ engine: 'piper', voice: JOE }, ...kokoro(KOKORO_PALETTE.male)] };
const who = (speaker: string, talkSec: number, pitchHz: number | null, voicedSec = 5): SpeakerProfile => ({ speaker, talkSec, pitchHz, voicedSec });

describe('a cast matched to the source pitch', () => {
  it('women (≥ 165 Hz) get female voices, men male ones; the most talkative of each gets the first (most distinct) voice; every pair differs', () => {
    const speakers = ['Teacher', 'Aoi', 'Ren', 'Mio', 'Sota'];
    const profiles = [who('Teacher', 10, 230), who('Aoi', 40, 300), who('Ren', 25, 120), who('Mio', 5, 364), who('Sota', 30, 105)];
    const cast = castByPitch(speakers, profiles, PALETTES);
    expect(cast.map((v) => [v.speaker, v.register, v.voice])).toEqual([
      ['Teacher', 'female', KOKORO_PALETTE.female[1]], ['Aoi', 'female', KOKORO_PALETTE.female[0]], ['Ren', 'male', KOKORO_PALETTE.male[1]],
      ['Mio', 'female', KOKORO_PALETTE.female[2]], ['Sota', 'male', KOKORO_PALETTE.male[0]],
    ]);
    expect(new Set(cast.map((v) => v.voice)).size).toBe(5);
    expect(cast.every((v) => v.engine === 'kokoro' && !v.why)).toBe(true);
  });

  it('English keeps piper joe as the first man; the women and the other men get Kokoro voices', () => {
    const cast = castByPitch(['Kenta', 'Misaki', 'Taro'], [who('Kenta', 20, 110), who('Misaki', 20, 280), who('Taro', 5, 130)], ENGLISH);
    expect(cast.map((v) => [v.engine, v.voice])).toEqual([['piper', JOE], ['kokoro', 'jf_alpha'], ['kokoro', 'jm_kumo']]);
  });

  it('a speaker whose pitch cannot be measured still gets a voice of their own, after the measured ones, and says why', () => {
    const cast = castByPitch(['Quiet', 'A', 'B'], [who('Quiet', 50, null, 0.3), who('A', 10, 250), who('B', 10, 100)], PALETTES);
    expect(cast[0]).toMatchObject({ speaker: 'Quiet', sourcePitchHz: null, why: expect.stringMatching(/pitch not measured \(0\.3 s of voiced speech, under 1 s\)/) });
    expect(cast[1].voice).toBe('jf_alpha'); // the measured woman keeps the first female voice although Quiet talks more
    expect(cast[2].voice).toBe('jm_kumo');
    expect(new Set(cast.map((v) => v.voice)).size).toBe(3);
    // Too little voiced speech counts as unmeasured even with a number.
    expect(castByPitch(['X'], [who('X', 1, 300, 0.5)], PALETTES)[0].why).toMatch(/pitch not measured/);
  });

  it('one speaker gets one voice; more speakers than voices share the least recently given one', () => {
    expect(castByPitch(['Solo'], [who('Solo', 60, 210)], PALETTES)).toEqual([{ speaker: 'Solo', voice: 'jf_alpha', engine: 'kokoro', register: 'female', sourcePitchHz: 210 }]);
    const many = Array.from({ length: KOKORO_PALETTE.male.length + 2 }, (_, i) => `M${i}`);
    const cast = castByPitch(many, many.map((s, i) => who(s, 100 - i, 100)), PALETTES);
    expect(cast.slice(0, KOKORO_PALETTE.male.length).map((v) => v.voice)).toEqual([...KOKORO_PALETTE.male]);
    expect(cast.slice(KOKORO_PALETTE.male.length).map((v) => v.voice)).toEqual(KOKORO_PALETTE.male.slice(0, 2));
  });

  it('explicit choices win (tts.speakerVoices), and the engine of a chosen voice comes from the job', () => {
    const o: AssignOptions = { engine: 'kokoro', baseVoice: 'jm_kumo', espeakVariants: [], palettes: PALETTES, profiles: [who('A', 5, 250), who('B', 5, 100)], speakerVoices: { B: 'jm_kumo+jf_alpha@0.15' }, voiceEngine: () => 'kokoro' };
    expect(assignVoices(['A', 'B'], o).map((v) => v.voice)).toEqual(['jf_alpha', 'jm_kumo+jf_alpha@0.15']);
  });

  it('a series: a speaker the cast knows keeps their voice; a new one gets a free voice of their register', () => {
    const o: AssignOptions = { engine: 'kokoro', baseVoice: 'jm_kumo', espeakVariants: [], palettes: PALETTES, profiles: [who('Misaki', 20, 280), who('Kenta', 20, 100)] };
    const ep1 = castVoices(EMPTY_CAST, ['Misaki', 'Kenta'], o, 'ep1');
    expect(ep1.voices.map((v) => v.voice)).toEqual(['jf_alpha', 'jm_kumo']);
    expect(ep1.cast.entries.map((e) => [e.speaker, e.engine, e.voice])).toEqual([['Misaki', 'kokoro', 'jf_alpha'], ['Kenta', 'kokoro', 'jm_kumo']]);
    const ep2 = castVoices(ep1.cast, ['Yui', 'Kenta'], { ...o, profiles: [who('Yui', 50, 300), who('Kenta', 5, 100)] }, 'ep2');
    expect(ep2.voices.map((v) => v.voice)).toEqual([KOKORO_PALETTE.female[1], 'jm_kumo']);
    expect(ep2.known).toEqual(['Kenta']);
    expect(ep2.added).toEqual(['Yui']);
  });

  it('English series: joe is saved as a piper entry and kept in the next episode', () => {
    const o: AssignOptions = { engine: 'piper', baseVoice: JOE, espeakVariants: [], palettes: ENGLISH, profiles: [who('Kenta', 20, 100), who('Misaki', 20, 280)], voiceEngine: () => 'piper' };
    const ep1 = castVoices(EMPTY_CAST, ['Kenta', 'Misaki'], o, 'ep1');
    expect(ep1.cast.entries.map((e) => [e.speaker, e.engine, e.voice])).toEqual([['Kenta', 'piper', JOE], ['Misaki', 'kokoro', 'jf_alpha']]);
    const ep2 = castVoices(ep1.cast, ['Misaki', 'Kenta'], { ...o, profiles: [] }, 'ep2');
    expect(ep2.voices).toEqual([{ speaker: 'Misaki', voice: 'jf_alpha', engine: 'kokoro' }, { speaker: 'Kenta', voice: JOE }]);
  });

  it('Kokoro needs a voice plan even for one speaker (its voice is matched to the source)', () => {
    expect(voicesNeeded('kokoro', [{ index: 0, start: 0 }])).toBe(true);
    expect(voicesNeeded('piper', [{ index: 0, start: 0 }])).toBe(false);
  });
});

describe('Kokoro voice names (job input: strict)', () => {
  it('a voice or a blend of two with the second one\'s share; anything else is refused', () => {
    expect(parseKokoroVoice('jf_alpha')).toEqual({ voice: 'jf_alpha' });
    expect(parseKokoroVoice('jm_kumo+jf_alpha@0.25')).toEqual({ voice: 'jm_kumo', blend: { voice: 'jf_alpha', weight: 0.25 } });
    expect(kokoroVoiceName({ voice: 'jm_kumo', blend: { voice: 'jf_alpha', weight: 0.25 } })).toBe('jm_kumo+jf_alpha@0.25');
    for (const bad of ['af_heart', 'jf_alpha+jf_alpha@0.5', 'jf_alpha+jm_kumo@1', 'jf_alpha+jm_kumo@0', 'jf_alpha+jm_kumo', 'jf_alpha ', '../jf_alpha', 'jf_alpha+jm_kumo@0.5+jf_nezumi@0.5']) {
      expect(parseKokoroVoice(bad)).toBeUndefined();
    }
    for (const v of [...KOKORO_PALETTE.female, ...KOKORO_PALETTE.male]) expect(parseKokoroVoice(v)).toBeDefined();
    // A blend is a name the schema accepts for speakerVoices and casts.
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', tts: { engine: 'kokoro', speakerVoices: { A: 'jm_kumo+jf_alpha@0.25' } } }).success).toBe(true);
  });

  it('the host request: speed only when it is not 1, the language one Kokoro speaks', () => {
    const files = { model: '/m/k.onnx', voices: '/m/v.npz', vocab: '/m/v.json' };
    expect(kokoroRequest(files, '/o.wav', '-¡Hola!', 'es', { voice: 'jf_alpha' }, 1.2)).toEqual({ ...files, out: '/o.wav', text: '-¡Hola!', language: 'es', voice: 'jf_alpha', blend: null, speed: 1.2 });
    expect(kokoroRequest(files, '/o.wav', 'x', 'en', { voice: 'jm_kumo' }).speed).toBe(1);
    expect(() => kokoroRequest(files, '/o.wav', 'x', 'de', { voice: 'jm_kumo' })).toThrow(/Kokoro speaks en, es, fr, pt, it here, not "de"/);
  });
});

describe('the TTS engine registry', () => {
  it('one record per engine name, its rate knob the one the timing fit reads; the schema enum is derived from it', () => {
    expect(ttsEngineList().map((e) => e.name)).toEqual([...TTS_ENGINE_NAMES]);
    for (const e of ttsEngineList()) expect(e.capabilities.rateKnob).toBe(hasRateKnob(e.name));
    expect(ttsEngineList().filter((e) => e.capabilities.rateKnob).map((e) => e.name)).toEqual(['espeak-ng', 'piper', 'kokoro']);
    for (const name of TTS_ENGINE_NAMES) expect(jobOptionsSchema.safeParse({ video: 'x.mp4', tts: { engine: name } }).success).toBe(true);
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', tts: { engine: 'sh' } }).success).toBe(false);
  });
});
