// Where a program is: the first absolute PATH entry holding an executable of that name (never the current
// folder). Every engine's availability check starts here, so it sits below all of them.
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { absoluteSearchPath } from './searchPath.js';

export async function findOnPath(program: string): Promise<string | undefined> {
  if (program.includes('/')) return (await access(program, constants.X_OK).then(() => true, () => false)) ? program : undefined;
  for (const dir of absoluteSearchPath(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, program);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
