// The whole run's global setup (both projects): its temp root, before jest forks the workers that inherit TMPDIR.
import { makeRunTempRoot } from './tempRoot.js';

export default async function tempRootSetup(): Promise<void> {
  await makeRunTempRoot();
}
