// demucs (facebookresearch/demucs): splits the original audio into dialogue and everything else, so the dub
// goes over the real background (music, effects) instead of a ducked copy of the original voices.
// `demucs --two-stems vocals -n htdemucs -o OUT TRACK` writes OUT/htdemucs/<track name>/{vocals,no_vocals}.wav
// (demucs/separate.py: `--two-stems` stores `stem`, `-n/--name` the model, `-o/--out` the folder; the file name
// pattern is "{track}/{stem}.{ext}", with {track} the input's name without its last extension).
import path from 'node:path';
import { checkedName } from './argvValues.js';

export const DEMUCS_PROGRAM = 'demucs';
export const DEMUCS_MODEL = 'htdemucs';
export const DEMUCS_INSTALL = 'pip install demucs';

export type SeparationChoice = 'auto' | 'demucs' | 'off';

export function demucsArgv(input: string, outDir: string, model = DEMUCS_MODEL): string[] {
  return [DEMUCS_PROGRAM, '--two-stems', 'vocals', '-n', checkedName(model, 'modelName', 'the demucs model'), '-o', outDir, input];
}

export interface DemucsStems {
  /** Everything but the voices: the bed the dub goes over. */
  background: string;
  vocals: string;
}

export function demucsStems(input: string, outDir: string, model = DEMUCS_MODEL): DemucsStems {
  const base = path.basename(input);
  const track = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const dir = path.join(outDir, model, track);
  return { background: path.join(dir, 'no_vocals.wav'), vocals: path.join(dir, 'vocals.wav') };
}

export type DemucsCheck = { available: true; program: string } | { available: false; reason: string };

/** demucs is a pip package: on PATH or not; the lookup is passed in so this module stays free of I/O. */
export async function checkDemucs(findOnPath: (program: string) => Promise<string | undefined>): Promise<DemucsCheck> {
  const program = await findOnPath(DEMUCS_PROGRAM);
  return program ? { available: true, program } : { available: false, reason: `demucs is not installed (${DEMUCS_INSTALL})` };
}

/** auto = demucs when installed, else ducking the original; demucs = demucs or fail; off = ducking. */
export function chooseSeparation(choice: SeparationChoice, installed: boolean): 'demucs' | 'off' {
  if (choice === 'off') return 'off';
  if (choice === 'demucs') return 'demucs';
  return installed ? 'demucs' : 'off';
}
