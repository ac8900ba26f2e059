// An older release of this project, built beside the current one: the commit that recorded the replay baseline
// (test/replay/, the 1.0 release's workflow code), extracted with `git archive`, sharing node_modules, compiled
// with tsc. Cached per commit.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT, TEST_CACHE } from './env.js';

const git = (args: string[]) => execa('git', args, { cwd: PROJECT_ROOT }).then((r) => r.stdout.trim());

/**
 * The baseline's own histories (scripts/record-replay-histories.sh with no ID). A history added beside them for a
 * patched() marker is not a new baseline: it must not move the release this test upgrades from.
 */
const BASELINE_HISTORIES = ['test/replay/replay-dubjob-1.0.history.json', 'test/replay/replay-stream-1.0.history.json'];

/**
 * The release the current workflow code must stay compatible with: the commit that recorded the replay
 * baseline (test/replay/). Workflow changes after it keep its jobs running with patched() (docs/DEPLOY.md).
 */
export async function previousWorkflowRelease(): Promise<{ commit: string; changedBy: string }> {
  const commit = await git(['log', '-1', '--format=%H', '--', ...BASELINE_HISTORIES]);
  if (!commit) throw new Error('no git history of test/replay/ here: the upgrade test needs the repository history');
  return { commit, changedBy: await git(['rev-parse', 'HEAD']) };
}

export async function buildAt(commit: string): Promise<string> {
  const root = path.join(TEST_CACHE, 'builds', commit.slice(0, 12));
  const stamp = path.join(root, '.built');
  if (existsSync(stamp)) return root;
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await execa('git', ['archive', '--format=tar', commit], { cwd: PROJECT_ROOT }).pipe('tar', ['-x', '-C', root]);
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  if (existsSync(path.join(PROJECT_ROOT, '.tools'))) await symlink(path.join(PROJECT_ROOT, '.tools'), path.join(root, '.tools'));
  await execa(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root });
  await writeFile(stamp, `${commit}\n`);
  return root;
}
