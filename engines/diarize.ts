// Diarization plugins (lib/diarizer.ts has the shape). pyannote.audio runs as a thin Python invocation that
// prints its turns as JSON; when it is not installed the job goes on with one speaker and says why.
import type { Diarizer, DiarizerCheck, SpeakerTurn } from '../lib/diarizer.js';
import { ErrorType, failure } from '../lib/errors.js';
import { findOnPath } from './programPath.js';
import { pythonCode } from './pythonCode.js';
import { run } from './run.js';

// The pipeline name and Hugging Face token come from the worker's environment (PYANNOTE_PIPELINE, HF_TOKEN):
// pyannote's gated models need the token, and it never travels in a job's input.
const PYANNOTE_SCRIPT = `
import json, os, sys
from pyannote.audio import Pipeline
pipeline = Pipeline.from_pretrained(os.environ.get("PYANNOTE_PIPELINE", "pyannote/speaker-diarization-3.1"), use_auth_token=os.environ.get("HF_TOKEN") or None)
if pipeline is None:
    sys.exit("pyannote could not load its pipeline (gated model: accept its terms on Hugging Face and set HF_TOKEN)")
result = pipeline(sys.argv[1])
json.dump([{"start": t.start, "end": t.end, "label": str(s)} for t, _, s in result.itertracks(yield_label=True)], sys.stdout)
`;

export function pyannoteDiarizer(python = 'python3'): Diarizer {
  return {
    name: 'pyannote',
    async check(): Promise<DiarizerCheck> {
      if (!(await findOnPath(python))) return { available: false, reason: `${python} is not on PATH` };
      try {
        await run([python, '-c', pythonCode('import pyannote.audio')], { timeoutMs: 120_000 });
        return { available: true };
      } catch (e) {
        const why = e instanceof Error ? e.message.split('\n').filter(Boolean).pop() ?? e.message : String(e);
        return { available: false, reason: `pyannote.audio is not importable by ${python} (${why}); pip install pyannote.audio` };
      }
    },
    async run(wav: string): Promise<SpeakerTurn[]> {
      const { stdout } = await run([python, '-c', pythonCode(PYANNOTE_SCRIPT), wav], { timeoutMs: 3 * 3600_000 });
      return parseTurns(stdout);
    },
  };
}

export function parseTurns(stdout: string): SpeakerTurn[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw failure(ErrorType.EngineFailed, `the diarizer printed no JSON turns: ${stdout.slice(-300)}`);
  }
  if (!Array.isArray(data)) throw failure(ErrorType.EngineFailed, 'the diarizer printed something other than a list of turns');
  return data
    .filter((t): t is SpeakerTurn => t && Number.isFinite(t.start) && Number.isFinite(t.end) && t.end > t.start && typeof t.label === 'string')
    .map((t) => ({ start: t.start, end: t.end, label: t.label }));
}
