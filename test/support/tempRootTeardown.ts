// The whole run's global teardown (after the projects' own): its temp root removed, unless ANIME_DUB_KEEP_TEST_TMP=1.
import { removeRunTempRoot } from './tempRoot.js';

export default async function tempRootTeardown(): Promise<void> {
  await removeRunTempRoot();
}
