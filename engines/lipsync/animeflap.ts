// Anime mouth flaps (engines/lipsync/animeflap.py): drawn mouths re-timed to the dub with the characters' own
// mouth drawings. Runs where no lip-sync model can be installed: nagadomi's AnimeFace from PyPI (animeface==2.0.3,
// with pillow==11.3.0: under Pillow 12 it silently finds no face), in the engines' own Python.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../../config/schema.js';
import { DEFAULT_ENGINE_PYTHON } from '../engineHost.js';
import { pythonCode } from '../pythonCode.js';
import { run } from '../run.js';
import type { Availability, LipsyncDetails, LipsyncPlugin, LipsyncRequest } from './plugin.js';

/** Beside the sources (not compiled), like the engine host. */
export const ANIMEFLAP_SCRIPT = path.join(fileURLToPath(new URL('../../..', import.meta.url)), 'engines', 'lipsync', 'animeflap.py');
export const PLAN_FILE = 'animeflap-plan.json';
export const REPORT_FILE = 'animeflap.json';
export const STILL_FILE = 'animeflap-still.png';

// Exit 3: animeface is missing; 4: the Pillow it would use finds nothing (12 and later).
const CHECK = [
  'import importlib.util',
  'if importlib.util.find_spec("animeface") is None: print("animeface is not installed"); sys.exit(3)',
  'import PIL',
  'if int(PIL.__version__.split(".")[0]) >= 12: print("Pillow " + PIL.__version__ + " is installed; animeface finds no face with Pillow 12 or later (pin pillow==11.3.0)"); sys.exit(4)',
  'print("animeface with Pillow " + PIL.__version__)',
].join('\n');

const pythonOf = (settings: Settings) => settings.engines.python ?? DEFAULT_ENGINE_PYTHON;

export const animeflap: LipsyncPlugin = {
  name: 'animeflap',
  describe: 'animeflap (anime mouth flaps redrawn from the dub voice; bundled)',
  capabilities: { languages: 'any', rateKnob: false, speakers: 'many', runs: 'program', device: 'cpu' },
  async check(settings): Promise<Availability> {
    const python = pythonOf(settings);
    if (!(await stat(python).then((s) => s.isFile(), () => false))) return { available: false, reason: `python not found at ${python} (run scripts/setup.sh or set ENGINE_PYTHON)` };
    const found = await run([python, '-c', pythonCode(CHECK)], { timeoutMs: 120_000, okExitCodes: [0, 3, 4] });
    const said = found.stdout.trim();
    if (found.exitCode !== 0) return { available: false, reason: `${said} for ${python} (scripts/setup.sh installs animeface==2.0.3 and pillow==11.3.0)` };
    return { available: true, detail: said };
  },
  async run(settings, req): Promise<LipsyncDetails> {
    const plan = {
      face: req.face, voice: req.voice, lines: JSON.parse(await readFile(path.join(req.workDir, req.lines), 'utf8')),
      outfile: req.outfile, report: REPORT_FILE, still: STILL_FILE, box: req.box ?? null, resizeFactor: req.resizeFactor,
    };
    await writeFile(path.join(req.workDir, PLAN_FILE), JSON.stringify(plan));
    await run([pythonOf(settings), ANIMEFLAP_SCRIPT, PLAN_FILE], { cwd: req.workDir, timeoutMs: req.timeoutMs, recordTo: req.recordTo });
    const still = await stat(path.join(req.workDir, STILL_FILE)).then(() => STILL_FILE, () => undefined);
    return { report: REPORT_FILE, ...(still ? { still } : {}) };
  },
};

