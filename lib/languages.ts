// ISO 639-1 ↔ 639-2/3 for the languages our engines name differently (apertium and MKV tags use 3 letters).
const THREE: Record<string, string> = {
  en: 'eng', es: 'spa', fr: 'fra', de: 'deu', it: 'ita', pt: 'por', ca: 'cat', ja: 'jpn', zh: 'zho', ko: 'kor',
  ru: 'rus', nl: 'nld', sv: 'swe', da: 'dan', nb: 'nob', nn: 'nno', pl: 'pol', uk: 'ukr', ar: 'ara', hi: 'hin',
  eo: 'epo', gl: 'glg', eu: 'eus', oc: 'oci', ro: 'ron', cy: 'cym', ga: 'gle', br: 'bre', is: 'isl', tr: 'tur',
};

export function toIso3(code: string): string {
  return code.length === 3 ? code : THREE[code] ?? code;
}

/** Tag for a Matroska/MP4 language field (ISO 639-2/B differs for a few; these are the common ones). */
export function containerLanguage(code: string): string {
  const iso3 = toIso3(code);
  const bibliographic: Record<string, string> = { deu: 'ger', fra: 'fre', zho: 'chi', nld: 'dut', ron: 'rum', isl: 'ice', cym: 'wel', eus: 'baq' };
  return bibliographic[iso3] ?? iso3;
}

/** Two language codes name the same language (ja, jpn; de, deu, ger), case aside. */
export function sameLanguage(a: string, b: string): boolean {
  const x = a.toLowerCase().split(/[-_]/)[0];
  const y = b.toLowerCase().split(/[-_]/)[0];
  return x === y || toIso3(x) === toIso3(y) || containerLanguage(x) === containerLanguage(y);
}

/** The language the dub speaks: the target, or the source when the job keeps it (identity translation). */
export function dubLanguage(options: { translate: boolean; src: string; tgt: string }): string {
  return options.translate ? options.tgt : options.src;
}
