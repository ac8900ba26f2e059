// Where a program is: the first absolute PATH entry holding an executable of that name (never the current
// folder). Every engine's availability check starts here, so it sits below all of them.
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { programSearchPath } from './ffmpegBuild.js';
import { ErrorType, failure } from '../lib/errors.js';

/** `searchPath`: the folders to look in; by default the ones engines/run.ts starts programs with. */
export async function findOnPath(program: string, searchPath = programSearchPath(process.env.PATH ?? '')): Promise<string | undefined> {
  if (program.includes('/')) return (await access(program, constants.X_OK).then(() => true, () => false)) ? program : undefined;
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, program);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** EngineMissing naming the Debian package when `program` is not on the PATH. */
export async function requireProgram(program: string, debianPackage: string): Promise<void> {
  if (!(await findOnPath(program))) {
    throw failure(ErrorType.EngineMissing, `${program} is not installed; install the Debian package ${debianPackage} (scripts/setup.sh does)`);
  }
}
