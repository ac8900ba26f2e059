// With the s3 artifact store (DUB_ARTIFACT_STORE=s3) a job's files come from the store, never from the worker's own
// disk: job input is untrusted, and a path would make the worker read (and publish to the store, where the client
// downloads the job's folder) any file it can read. So every file a job names must be an uploaded input.
import type { JobOptions, Settings } from '../config/schema.js';
import { ErrorType, failure } from '../lib/errors.js';

type StoredName = 'video' | 'subs' | 'translatedSubs' | 'glossary';

const OPTION: Record<StoredName, string> = { video: 'video', subs: 'subs (--subs)', translatedSubs: 'translatedSubs (--translated-subs)', glossary: 'mt.glossary (--glossary)' };

/**
 * Refuses (InvalidConfig, not retried) a job that names a file on the worker instead of an uploaded input while the
 * worker uses the s3 store: `video`, `subs` (other than `embedded[:N]`, a track of the video), `translatedSubs` and
 * `mt.glossary` must each come with its `stored` key. With the shared folder nothing changes.
 */
export function refuseLocalPathsInS3Mode(options: JobOptions, settings: Pick<Settings, 'artifacts'>): void {
  if (settings.artifacts.store !== 's3') return;
  const named: Record<StoredName, string | undefined> = {
    video: options.video,
    subs: options.subs !== undefined && /^embedded(?::|$)/.test(options.subs) ? undefined : options.subs,
    translatedSubs: options.translatedSubs,
    glossary: options.mt?.glossary,
  };
  const local = (Object.keys(named) as StoredName[]).filter((w) => named[w] !== undefined && !options.stored?.[w]);
  if (!local.length) return;
  // The paths themselves are not quoted back: they are job input, and the option names say what to fix.
  throw failure(ErrorType.InvalidConfig,
    `this worker uses the s3 artifact store, so a job's files must be uploaded inputs (stored.<name> keys), never paths on the worker: ${local.map((w) => OPTION[w]).join(', ')} ${local.length > 1 ? 'name' : 'names'} a path; start the job with \`anime-dub run\` or startDubJob with DUB_ARTIFACT_STORE=s3, which upload them`);
}
