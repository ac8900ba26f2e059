// The last check before a value becomes part of a program's arguments or an interpreter's code: whatever
// validated it before (the job schema, the PreparedJob check), a name must match a strict pattern and a number
// must be finite and in range right where the argv is built. A refusal is InvalidConfig and never quotes the value.
import { ErrorType, failure } from '../lib/errors.js';

/** Names engines take: festival voices are Scheme symbols, the rest program or model names. */
export const NAME_PATTERNS = {
  festivalVoice: /^[A-Za-z0-9_]{1,64}$/,
  espeakVoice: /^[A-Za-z0-9_][A-Za-z0-9_+-]{0,63}$/,
  modelName: /^(?!.*\.\.)(?!-)[A-Za-z0-9._\/-]{1,256}$/,
  apertiumPair: /^[a-z]{2,3}(?:_[A-Za-z]+)?-[a-z]{2,3}(?:_[A-Za-z]+)?(?:-[a-z_]+)?$/,
  language: /^[a-z]{2,3}$/,
} as const;

export function checkedName(value: string, kind: keyof typeof NAME_PATTERNS, what: string): string {
  if (typeof value !== 'string' || !NAME_PATTERNS[kind].test(value)) {
    throw failure(ErrorType.InvalidConfig, `${what} is not a valid ${kind === 'festivalVoice' ? 'festival voice (letters, digits, _)' : kind === 'espeakVoice' ? 'espeak-ng voice (letters, digits, _ + -)' : kind === 'apertiumPair' ? 'apertium pair (such as eng-spa)' : kind === 'language' ? 'language code' : 'model name (letters, digits, . _ / -, no ..)'}; refused before it reached the engine`);
  }
  return value;
}

/** A number for a filter graph or a flag: finite and within [min, max]. */
export function checkedNumber(value: number, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw failure(ErrorType.InvalidConfig, `${what} must be a number from ${min} to ${max}; refused before it reached the engine`);
  }
  return value;
}
