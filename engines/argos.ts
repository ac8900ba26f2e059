// argos-translate: offline neural MT (OpenNMT/CTranslate2 models), one installed package per language pair.
// CLI (argostranslate/cli.py): `argos-translate --from-lang ja --to-lang en [TEXT]`, TEXT read from stdin when
// absent; it translates each "\n"-separated paragraph on its own and prints them joined by "\n".
// `argospm list` prints the installed packages as translate-<from>_<to>.
import { ErrorType, failure } from '../lib/errors.js';
import { run } from './run.js';
import { checkedName } from './argvValues.js';

export const ARGOS_PROGRAM = 'argos-translate';
export const ARGOSPM_PROGRAM = 'argospm';

export function argosPackageName(src: string, tgt: string): string {
  return `translate-${src}_${tgt}`;
}

export function argosInstallHint(src: string, tgt: string): string {
  return `pip install argostranslate && argospm update && argospm install ${argosPackageName(src, tgt)}`;
}

/** Text goes on stdin: no argv length limit, and a line starting with "-" is never read as a flag. */
export function argosArgv(src: string, tgt: string): string[] {
  return [ARGOS_PROGRAM, '--from-lang', checkedName(src, 'language', 'the source language'), '--to-lang', checkedName(tgt, 'language', 'the target language')];
}

export const argosListArgv = [ARGOSPM_PROGRAM, 'list'];

export function parseArgosPackages(listing: string): string[] {
  return listing.split('\n').map((s) => s.trim()).filter((s) => /^translate-[a-z]{2,3}(_[a-z]{2,3})+$/i.test(s));
}

/** argparse's error for a language with no installed package ("'ja' is not an installed language."). */
export function argosMissingLanguage(stderr: string): string | undefined {
  return stderr.match(/'([^']+)' is not an installed language|No translation installed from \S+ to \S+/)?.[0];
}

/** One translation per input line, or undefined when the line count does not match (go line by line then). */
export function splitArgosOutput(stdout: string, count: number): string[] | undefined {
  const lines = stdout.replace(/\r/g, '').replace(/\n+$/, '').split('\n');
  return lines.length === count ? lines.map((l) => l.trim()) : undefined;
}

const oneLine = (t: string) => t.replace(/\s*\n\s*/g, ' ').trim();

/** Translates lines with an installed argos package; a missing one is EngineMissing naming the install command. */
export function argosTranslator(src: string, tgt: string, recordTo: string): (texts: string[]) => Promise<string[]> {
  const translate = async (text: string) => {
    try {
      return (await run(argosArgv(src, tgt), { input: text + '\n', timeoutMs: 30 * 60_000, recordTo })).stdout;
    } catch (e) {
      const missing = argosMissingLanguage((e as Error).message);
      if (missing) throw failure(ErrorType.EngineMissing, `argos-translate: ${missing}; install the pair: ${argosInstallHint(src, tgt)}`);
      throw e;
    }
  };
  return async (texts) => {
    // argos translates each "\n"-separated paragraph on its own: one run for all lines, line by line if it miscounts.
    const whole = splitArgosOutput(await translate(texts.map(oneLine).join('\n')), texts.length);
    return whole ?? Promise.all(texts.map(async (t) => (await translate(oneLine(t))).trim()));
  };
}
