// The embedded speech synthesizers: espeak-ng (any language) and festival (English, HTS voice).
// Text always goes through stdin, so a line that starts with "-" is never read as a flag.

export type TtsEngineName = 'espeak-ng' | 'festival';

export const FESTIVAL_DEFAULT_VOICE = 'cmu_us_slt_arctic_hts';

export function espeakArgv(out: string, voice: string, wordsPerMinute: number): string[] {
  return ['espeak-ng', '-v', voice, '-s', String(wordsPerMinute), '-w', out, '--stdin'];
}

export function festivalArgv(out: string, voice = FESTIVAL_DEFAULT_VOICE): string[] {
  return ['text2wave', '-eval', `(voice_${voice})`, '-o', out];
}

/** festival is used for English when asked for (or on auto); espeak-ng for everything else. */
export function chooseTtsEngine(requested: 'auto' | TtsEngineName, language: string): TtsEngineName {
  if (requested !== 'auto') return requested;
  return language === 'en' ? 'festival' : 'espeak-ng';
}

/** espeak-ng --voices=LANG lists voices whose language starts with LANG; the header line is skipped. */
export function espeakHasLanguage(listing: string, language: string): boolean {
  return listing.split('\n').slice(1).some((row) => {
    const lang = row.trim().split(/\s+/)[1] ?? '';
    return lang === language || lang.startsWith(`${language}-`);
  });
}
