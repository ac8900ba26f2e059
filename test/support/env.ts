// Where the test dev server listens and where test artifacts go (shared by setup and tests).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const TEST_CACHE = path.join(PROJECT_ROOT, 'test', '.cache');
export const TEST_SERVER_PORT = Number(process.env.ANIME_DUB_TEST_PORT ?? 17233);
export const TEST_ADDRESS = `127.0.0.1:${TEST_SERVER_PORT}`;
