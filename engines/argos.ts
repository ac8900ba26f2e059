// argos-translate: offline neural MT (OpenNMT/CTranslate2 models), one installed package per language pair.
// CLI (argostranslate/cli.py): `argos-translate --from-lang ja --to-lang en [TEXT]`, TEXT read from stdin when
// absent; it translates each "\n"-separated paragraph on its own and prints them joined by "\n".
// `argospm list` prints the installed packages as translate-<from>_<to>.

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
  return [ARGOS_PROGRAM, '--from-lang', src, '--to-lang', tgt];
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
