// Names of the files in a job's folder that more than one module reads or writes (paths relative to the folder).
// They are part of the interface (README "Outputs"; `anime-dub review` reads job.json, review.json, report.json):
// change one only with the README. A stage's own working files keep their names in its module.

/** The job's validated options (prepareJob), read back by `anime-dub review … render`. */
export const JOB_OPTIONS_FILE = 'job.json';
/** A person's edits to the lines (review). */
export const REVIEW_FILE = 'review.json';
/** The QA report's figures. */
export const REPORT_FILE = 'report.json';

/** The source audio as extracted: 48 kHz stereo, the bed under the dub. */
export const ORIGINAL_MIX_WAV = 'audio/original.48k.wav';
/** The source audio for recognition and analysis: 16 kHz mono. */
export const ANALYSIS_WAV = 'audio/analysis.16k.wav';
/** The bed slowed along --fit-video auto's time map. */
export const ORIGINAL_FITVIDEO_WAV = 'audio/original.fitvideo.48k.wav';
/** The dub mixed over the bed. */
export const DUB_MIX_WAV = 'audio/mix.48k.wav';

/** A streaming run's live manifest, playlist and stitched file. */
export const STREAM_MANIFEST = 'stream/manifest.json';
export const STREAM_PLAYLIST = 'stream/index.m3u8';
export const STREAM_FINAL = 'stream/stream.final.mp4';
