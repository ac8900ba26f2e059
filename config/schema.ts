// One zod schema for every setting. Pure (no env, no fs): the loader in ./load.ts feeds it.
import { z } from 'zod';

// Queue kinds and placement live in ./placement.ts (no zod there: the workflow bundle imports them).
import { DEFAULT_QUEUES, PLACEMENT_NAMES, QUEUE_KINDS, withDefaultPlacement } from './placement.js';
import { TTS_ENGINE_NAMES } from './ttsEngineNames.js';
import { ASR_ENGINE_NAMES, DIARIZE_CHOICES, engineChoices, MT_ENGINE_NAMES, namedDiarizer } from './engineNames.js';
export { DEFAULT_PLACEMENT, DEFAULT_QUEUES, PLACEABLE_ACTIVITIES, QUEUE_KINDS, queueKindOf, type Placement, type PlaceableActivity, type QueueKind } from './placement.js';

const lang = z.string().regex(/^[a-z]{2,3}$/, 'a 2- or 3-letter language code such as en, es, ja');
const boolish = z.preprocess((v) => (typeof v === 'string' ? !['0', 'false', 'no', 'off', ''].includes(v.toLowerCase()) : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int(`an integer`).min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

/** A name in the worker's llmEndpoints (MT_LLM_ENDPOINTS). */
const endpointName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an endpoint name from the worker settings (MT_LLM_ENDPOINTS), such as default');
/** A key job input may not carry: a URL or credential a job chose could send the worker's secrets anywhere. */
const workerSettingOnly = (key: string) => z.undefined({
  error: `${key} is a worker setting, not a job option: configure endpoints in the worker's MT_LLM_ENDPOINTS and pick one with mt.llm.endpoint`,
}).optional();
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as OPENAI_API_KEY');

/** A name in the worker's ggufModels (MT_GGUF_MODELS). */
const ggufName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a model name from the worker settings (MT_GGUF_MODELS), such as qwen2.5-coder-1.5b');
/** The GGUF model scripts/setup.sh installs (hash-verified), under the worker's models folder. */
export const DEFAULT_GGUF_MODEL = 'qwen2.5-coder-1.5b';
export const BUNDLED_GGUF_FILE = 'qwen2.5-coder-1.5b/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf';

/** One GGUF model the worker may load: its file (relative paths are under the models folder) and how it runs. */
export const ggufModelSchema = z.object({
  file: z.string().min(1).regex(/\.gguf$/i, 'a .gguf file'),
  /** CPU threads (default: every core but one, engines/localLlm.ts defaultThreads). */
  threads: int(1, 256).optional(),
  /** auto = CUDA or Vulkan where the prebuilt binary finds a GPU, else the CPU. */
  gpu: z.enum(['auto', 'cpu']).default('auto'),
  contextSize: int(512, 131072).default(4096),
}).strict();
export type GgufModel = z.output<typeof ggufModelSchema>;

/** One LLM endpoint the worker may call: its base URL and the worker env variable holding its key (if any). */
export const llmEndpointSchema = z.object({
  baseUrl: z.string().url('a URL such as http://127.0.0.1:11434/v1').default('http://127.0.0.1:11434/v1'),
  apiKeyEnv: envName.optional(),
}).strict();
export type LlmEndpoint = z.output<typeof llmEndpointSchema>;

export const queuesSchema = z.strictObject({
  workflows: z.string().min(1).default(DEFAULT_QUEUES.workflows),
  cpu: z.string().min(1).default(DEFAULT_QUEUES.cpu),
  gpu: z.string().min(1).default(DEFAULT_QUEUES.gpu),
});
export type Queues = z.infer<typeof queuesSchema>;

export const placementSchema = z
  .partialRecord(z.enum(PLACEMENT_NAMES), z.enum(QUEUE_KINDS))
  .default({})
  .transform(withDefaultPlacement);

/** "x1,y1,x2,y2" (from env or a flag) or an array: the face box in source pixels. */
const boxSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v),
  z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(1), z.number().int().min(1)])
    .refine(([x1, y1, x2, y2]) => x2 > x1 && y2 > y1, 'x1,y1,x2,y2 with x2 > x1 and y2 > y1'),
);

/**
 * The lip-sync plugins, named once: the schema, the CLI's --lipsync choices and the registry
 * (engines/lipsync/registry.ts, which must have an entry for each) all read this list.
 */
/** A job's engine of one kind: auto or one of the kind's names (config/engineNames.ts), auto by default. */
export function engineField<Name extends string>(names: readonly Name[]) {
  return z.enum(engineChoices(names)).default('auto' as never) as z.ZodDefault<z.ZodEnum<{ [K in 'auto' | Name]: K }>>;
}

export const LIPSYNC_PLUGIN_NAMES = ['wav2lip', 'animeflap'] as const;
export type LipsyncPluginName = (typeof LIPSYNC_PLUGIN_NAMES)[number];

/** Lip-sync (off by default): which plugin, how strict, and how it finds the face. */
export const lipsyncSchema = z.strictObject({
  engine: z.enum(['off', ...LIPSYNC_PLUGIN_NAMES]).default('off'),
  /** Fail the job when the plugin is missing or fails (default: keep the normal dub and say why). */
  strict: boolish.default(false),
  /** auto = the plugin's face detector; center = a fixed box in the middle; bbox = the given box. */
  face: z.enum(['auto', 'center', 'bbox']).default('auto'),
  box: boxSchema.optional(),
  timeoutSec: int(10, 24 * 3600).default(3600),
  /** Wav2Lip --pads: top bottom left right. */
  pads: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]).default([0, 10, 0, 0]),
  resizeFactor: int(1, 8).default(1),
  nosmooth: boolish.default(false),
}).refine((l) => l.face !== 'bbox' || l.box !== undefined, { message: 'face "bbox" needs a box x1,y1,x2,y2 (--lipsync-box)', path: ['box'] });

/** Expressive prosody (off by default): carry each source line's energy, pitch and pace into its dub. */
export const expressiveSchema = z.strictObject({
  mode: z.enum(['off', 'auto', 'source-audio', 'text-only']).default('off'),
  strength: num(0, 1).default(0.5),
  /** Write Output/<job>/expressive/plans/NNNN.json for every line. */
  debug: boolish.default(false),
  /** The older switch, kept working: auto = expressive auto; tags = only a leading [happy]/[sad]/[angry]/[calm]. */
  emotionMode: z.enum(['off', 'auto', 'tags']).default('off'),
});

/** Review: pause for edits after translation, and a re-render's overrides and output version. */
export const reviewSchema = z.strictObject({
  /** Wait after translation until approved (editLine Updates may change lines meanwhile). */
  pause: boolish.default(false),
  overrides: z.strictObject({
    version: z.literal(1),
    edits: z.record(z.string().regex(/^\d+$/), z.strictObject({
      text: z.string().optional(),
      start: z.number().min(0).optional(),
      end: z.number().min(0).optional(),
      speaker: z.string().optional(),
      locked: z.boolean().optional(),
    })),
  }).optional(),
  /** 1 = <stem>.dub.mp4; n ≥ 2 = <stem>.dub.vN.mp4 (earlier versions are kept). */
  outputVersion: int(1, 999).default(1),
});

/** Streaming mode (off by default): chunked rendering with a live manifest and playlist. */
export const streamSchema = z.strictObject({
  enabled: boolish.default(false),
  chunkSeconds: num(2, 600).default(20),
  /** Context on each side of a chunk for recognition only; output chunks never repeat time. */
  overlapSeconds: num(0, 30).default(2),
  concurrency: int(1, 32).default(1),
  stitch: boolish.default(true),
  /** segments = the chunk files are the result (stitch optional); final = the stitched file is. */
  output: z.enum(['segments', 'final']).default('segments'),
  /** No recognition, translation or synthesis: a silent dub, but real cuts, muxes, manifest and stitch. */
  dryRun: boolish.default(false),
  /** The parent continues as new once its history grows past this many events. */
  continueAsNewEvents: int(50, 50_000).default(3000),
}).refine((s) => s.output !== 'final' || s.stitch, { message: '--stream-output final needs --stitch', path: ['stitch'] });

/** Where plugin code and weights live: worker settings only, so a job input can never point us at code to run. */
export const pluginsSchema = z.strictObject({
  wav2lipDir: z.string().min(1).optional(),
  wav2lipCheckpoint: z.string().min(1).optional(),
  python: z.string().min(1).default('python3'),
});

/** ASS style names, as a list or "OP,ED Romaji" (the CLI's form). */
const styleList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v), z.array(z.string().min(1).max(200)).max(200));

/** Why a job's output sub-folder is refused (undefined = fine). Plain string work: this module stays pure. */
export function subFolderProblem(sub: string): string | undefined {
  if (sub.startsWith('/') || sub.startsWith('\\') || /^[A-Za-z]:/.test(sub)) return 'a folder inside the output root, not an absolute path';
  const parts = sub.split(/[\\/]+/).filter(Boolean);
  if (!parts.length) return 'a folder name';
  for (const p of parts) {
    if (p === '..' || p === '.') return 'a folder inside the output root (no . or ..)';
    if (/^[-.]/.test(p)) return 'folder names that do not start with - or .';
    if (!/^[\p{L}\p{N}._-]+$/u.test(p)) return 'folder names of letters, digits, . _ - only';
    if (p === 'series') return 'a folder not named series (series casts are kept there)';
  }
  return undefined;
}

/** One input file in the s3 artifact store: its key in the inputs/ area (named by its SHA-256), hash and size. */
export const storedInputSchema = z.strictObject({
  key: z.string().regex(/^inputs\/sha256\/[0-9a-f]{64}(\.[A-Za-z0-9]{1,8})?$/, 'a key inputs/sha256/<sha256>[.ext] of the worker\'s artifact store'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
  bytes: z.number().int().min(0),
}).refine((r) => r.key.slice('inputs/sha256/'.length, 'inputs/sha256/'.length + 64) === r.sha256, { message: 'the key names a different SHA-256', path: ['key'] });

/** A series' name: one folder name (no / or \\), kept beside the outputs as <output root>/[<sub-folder>/]series/<name>/. */
export function seriesNameProblem(name: string): string | undefined {
  if (/[\\/]/.test(name)) return 'one folder name (no / or \\), such as "Kinmoza" or "kinmoza-s1"';
  return subFolderProblem(name);
}

/** Every speech synthesizer can hold a speaker's voice in a cast (config/ttsEngineNames.ts). */
export const CAST_ENGINES = TTS_ENGINE_NAMES;
/** A speaker's name as subtitles give it (ASS Name, WebVTT <v>): printable, no control characters. */
const speakerName = z.string().min(1).max(200).regex(/^[^\p{Cc}]+$/u, 'a speaker name without control characters');
const voiceName = z.string().regex(/^[A-Za-z0-9_+.\/@-]{1,256}$/, 'a voice name or model path (letters, digits, _ + . / @ -)');

/** One speaker's voice for one engine in a series' cast (cast.json), or in a --cast file. */
export const castEntrySchema = z.strictObject({
  speaker: speakerName,
  engine: z.enum(CAST_ENGINES),
  /** espeak-ng voice ("en+f2"), festival voice, piper model (name or .onnx). */
  voice: voiceName.optional(),
  /** piper: the speaker inside a multi-speaker model. */
  speakerId: z.number().int().min(0).max(100_000).optional(),
  /** Pitch factor applied after synthesis (1 = unchanged). */
  pitch: z.number().min(0.5).max(2).optional(),
  /** xtts: the reference clip, inside the series folder (voices/<name>.wav). */
  reference: z.string().regex(/^voices\/[\p{L}\p{N}_-][\p{L}\p{N}._-]{0,80}\.wav$/u, 'a clip in the series folder: voices/<name>.wav').optional(),
  /** Which job (or `cast set`) gave the speaker this voice. */
  addedBy: z.string().max(300).optional(),
});
export type CastEntry = z.output<typeof castEntrySchema>;

/** A series' cast: one entry per speaker and engine, in the order speakers were added. */
export const castSchema = z.strictObject({
  version: z.literal(1),
  entries: z.array(castEntrySchema).max(2000),
}).superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.entries.forEach((e, i) => {
    const key = `${e.engine}\u0000${e.speaker}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['entries', i], message: `${e.speaker} has two ${e.engine} voices; keep one` });
    seen.add(key);
  });
});
export type Cast = z.output<typeof castSchema>;

/**
 * One cast for a whole season. `name` keeps it in the series folder beside the outputs (read and updated under
 * a lock by each episode); `cast` is a cast given inline (the CLI reads `--cast FILE` and sends its content, so a
 * job never names a file to read). Inline entries carry no reference clips: those live only in a series folder.
 */
export const seriesSchema = z.strictObject({
  name: z.string().min(1).max(100).superRefine((v, ctx) => {
    const problem = seriesNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  cast: castSchema.refine((c) => c.entries.every((e) => e.reference === undefined), {
    message: 'a cast given with the job carries no reference clips; keep clips in a series folder (--series NAME, `anime-dub cast set SPEAKER clip.wav`)',
  }).optional(),
}).refine((s) => s.name !== undefined || s.cast !== undefined, { message: 'a series name (--series NAME) or a cast (--cast FILE)' });

/**
 * The fields of one dub job's options, each checked on its own. A job start is checked against jobOptionsSchema
 * (these fields and the combination rules below); the worker's settings take their job defaults from these fields.
 */
export const jobOptionsFields = z.strictObject({
  video: z.string().min(1, 'a path to the input video'),
  src: lang.default('en'),
  tgt: lang.default('es'),
  /**
   * SRT, WebVTT or ASS file giving the source lines (skips speech recognition; ASS speaker names kept), or
   * `embedded`, `embedded:N`, `embedded:LANG`: a subtitle stream of the input. In the target language they are the dub script.
   */
  subs: z.string().min(1).optional(),
  /** Which subtitle events are voiced (ASS styles; the rest is classified, README "Subtitles you already have") and the input's audio track (0:a:N or a language). */
  subtitles: z.strictObject({ voiceStyles: styleList.optional(), skipStyles: styleList.optional() }).prefault({}),
  audioTrack: z.string().regex(/^(?:\d{1,2}|[A-Za-z]{2,3})$/, 'an audio track number (0 = the first) or a language such as ja, eng').optional(),
  /** SRT, WebVTT or ASS file giving the target lines (skips machine translation). */
  translatedSubs: z.string().min(1).optional(),
  /** false = identity translation (dub in the source language). */
  translate: boolish.default(true),
  /**
   * A sub-folder of the worker's output root (e.g. "season1"); the root itself is a worker setting
   * (ANIME_DUB_OUTPUT_DIR), so job input never writes outside it.
   */
  outputDir: z.string().min(1).max(240).superRefine((v, ctx) => {
    const problem = subFolderProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  asr: z.strictObject({
    /**
     * auto = faster-whisper (embedded, warm, the bundled base model) when its model is installed, else pocketsphinx
     * (embedded, English only). The other Whisper programs are installed separately (README "ASR engines").
     */
    engine: engineField(ASR_ENGINE_NAMES),
    /**
     * Whisper model: a bundled one (base, tiny.en), a folder holding a CTranslate2 model.bin inside the worker's models folder (faster-whisper), or a
     * name the engine downloads itself where there is internet (small, medium, large-v3, ...).
     */
    model: z.string().regex(/^(?!.*\.\.)[A-Za-z0-9._\/-]{1,256}$/, 'a Whisper model name such as base or large-v3, or a model folder').default('base'),
    /** whisper.cpp ggml model file (e.g. models/ggml-small.bin). */
    whisperCppModel: z.string().min(1).optional(),
    /** Whisper segments more likely silence than this (with a low average log-probability) are dropped. */
    noSpeechThreshold: num(0, 1).default(0.6),
    /** Let Whisper detect the spoken language (recorded in transcript.json; a warning when it is not src). */
    detectLanguage: boolish.default(false),
    silenceDb: num(-80, -10).default(-35),
    minSilenceSec: num(0.1, 5).default(0.45),
    minSpeechSec: num(0.05, 5).default(0.25),
  }).prefault({}),
  mt: z.strictObject({
    /**
     * auto = Whisper's translate task from the audio when the dub is English and Whisper hears the source (no --subs),
     * else apertium (embedded); argos and llm are installed/run separately; whisper = Whisper's translate task.
     */
    engine: engineField(MT_ENGINE_NAMES),
    /** An OpenAI-compatible chat-completions server, chosen by name among the worker's llmEndpoints. */
    llm: z.strictObject({
      endpoint: endpointName.default('default'),
      model: z.string().min(1).default('qwen2.5:7b-instruct'),
      // Where requests go and which key they carry are worker settings: a job naming them is refused, not ignored.
      baseUrl: workerSettingOnly('mt.llm.baseUrl'),
      apiKeyEnv: workerSettingOnly('mt.llm.apiKeyEnv'),
      batchSize: int(1, 200).default(20),
      timeoutSec: int(5, 3600).default(120),
      /** Follow-up requests for lines missing or bad in a reply, before they fall back to apertium. */
      maxReasks: int(0, 10).default(2),
    }).prefault({}),
    /** A GGUF chat model run inside the worker (node-llama-cpp), chosen by name among the worker's ggufModels. */
    local: z.strictObject({
      model: ggufName.default(DEFAULT_GGUF_MODEL),
      // Which file is loaded is a worker setting: a job naming a path is refused, not ignored.
      file: z.undefined({ error: 'mt.local.file is a worker setting, not a job option: configure models in the worker\'s MT_GGUF_MODELS and pick one with mt.local.model' }).optional(),
      /** Lines per prompt: a small model keeps count and context best in short batches. */
      batchSize: int(1, 50).default(6),
      /** Seconds one prompt may take before the activity fails (retryable): a model generating forever is stopped. */
      timeoutSec: int(5, 3600).default(600),
      maxReasks: int(0, 10).default(1),
    }).prefault({}),
    /** Japanese honorifics (-san, -chan, -kun, -senpai, Sensei) in a chat model's translation: kept as in anime subtitles, or adapted to English usage. */
    honorifics: z.enum(['keep', 'adapt']).default('keep'),
    /** Ask a chat model for lines that fit their slot (a syllable target per line from its duration), and ask again for lines far off. */
    lengthBudget: boolish.default(true),
    /** TSV of source term<TAB>target term (# comments): the translation must use these. */
    glossary: z.string().min(1).optional(),
  }).prefault({}),
  tts: z.strictObject({
    /** auto = piper for English (Kokoro for other speakers of a cast), Kokoro for es/fr/pt/it, else festival for English, espeak-ng otherwise; xtts is installed separately (README "Voices and speakers"). */
    engine: engineField(TTS_ENGINE_NAMES),
    /** Checked strictly: festival receives it inside a Scheme expression. */
    voice: z.string().regex(/^[A-Za-z0-9_+@.-]{1,64}$/, 'a voice name (letters, digits, _ + @ . -; a Kokoro blend such as jm_kumo+jf_alpha@0.25)').optional(),
    /** espeak-ng words per minute. */
    espeakSpeed: int(80, 450).default(165),
    /** piper voice: a .onnx file (its .onnx.json beside it) or a voice name found in $PIPER_VOICES_DIR; default the first <lang>_*.onnx there. */
    piperModel: z.string().min(1).optional(),
    /** Coqui TTS model name for --tts xtts. */
    xttsModel: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'a Coqui model name such as tts_models/multilingual/multi-dataset/xtts_v2').default('tts_models/multilingual/multi-dataset/xtts_v2'),
    /** Speaker → voice (espeak-ng voice, festival voice, piper voice name or .onnx); the rest are assigned automatically. */
    speakerVoices: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_+.\/@-]{1,256}$/, 'a voice name or model path (letters, digits, _ + . / @ -)')).optional(),
    /** Who speaks when, for lines that name no speaker: auto = the embedded diarizer, off = one voice, or a diarizer by name (engines/voiceEngines.ts). */
    diarize: z.enum(DIARIZE_CHOICES).default('auto'),
  }).prefault({}),
  /** One cast for a season (README "One cast for a whole season"); absent = voices chosen per episode. */
  series: seriesSchema.optional(),
  synthesisConcurrency: int(1, 64).default(4),
  fit: z.strictObject({
    maxSpeed: num(1, 2).default(1.25),
    /** Slowest speed for a line much shorter than its source line, slowed so it fills the time it is said in. */
    minSpeed: num(0.5, 1).default(0.9),
    /** Condense lines clearly too long for their slot before synthesis (fillers, asides, repeats). */
    condense: boolish.default(true),
    guardMs: int(0, 1000).default(80),
    fadeMs: int(0, 500).default(30),
  }).prefault({}),
  /**
   * auto = where a line cannot fit its slot at speechSpeed or less (after condensing and the engine's own rate),
   * the picture of that span is slowed instead (at most maxStretch) and everything after it moves with it
   * (README "Slowing the picture instead of rushing the voice"). Not with lip-sync or streaming yet.
   */
  fitVideo: z.strictObject({
    mode: z.enum(['auto', 'off']).default('off'),
    /** Fastest a line is spoken before the picture slows for it. */
    speechSpeed: num(1, 2).default(1.1),
    /** Most the picture of one span is slowed. */
    maxStretch: num(1, 2).default(1.25),
  }).prefault({}),
  mix: z.strictObject({
    duckDb: num(-60, 0).default(-18),
    dubGainDb: num(-20, 20).default(0),
    /** Background under the dub: auto = demucs's no_vocals stem when demucs is installed, else the ducked original. */
    separation: z.enum(['auto', 'demucs', 'off']).default('auto'),
    /** EBU R128 integrated loudness of the dub track, LUFS. */
    loudnessLufs: num(-40, -5).default(-16),
    /** Ceiling for the true peak of the dub track, dBTP. */
    truePeakDb: num(-9, 0).default(-1),
  }).prefault({}),
  lipsync: lipsyncSchema.prefault({}),
  stream: streamSchema.prefault({}),
  expressive: expressiveSchema.prefault({}),
  review: reviewSchema.prefault({}),
  limits: z.strictObject({ maxInputHours: num(0.0001, 1000).default(12) }).prefault({}),
  /** How long a running activity may go without a heartbeat before Temporal retries it elsewhere. */
  timeouts: z.strictObject({ heartbeatSec: int(2, 600).default(30) }).prefault({}),
  queues: queuesSchema.prefault({}),
  placement: placementSchema,
  searchAttributes: boolish.default(true),
  /**
   * The input files as the client uploaded them to the worker's s3 artifact store (DUB_ARTIFACT_STORE=s3): keys
   * inside that store's inputs/ area, named by their SHA-256. The store, its endpoint and its credentials are
   * worker settings; a job names only these keys.
   */
  stored: z.strictObject({
    video: storedInputSchema,
    subs: storedInputSchema.optional(),
    translatedSubs: storedInputSchema.optional(),
    glossary: storedInputSchema.optional(),
  }).optional(),
});
type JobFields = z.output<typeof jobOptionsFields>;

/**
 * Which options may go together, decided here once: the CLI (through resolveJobOptions), a start from the
 * Temporal CLI or the UI (prepareJob) and a program refuse the same inputs with the same message. A streaming
 * run refuses what its chunks do not do (workflows/streamChunk.ts: cut, recognize or read subtitles, translate,
 * synthesize and fit with the job's one voice, assemble, mix with or without separation, mux) rather than
 * ignoring it. Each rule: the option refused (its path), when, and one message naming the flags.
 */
export interface OptionRule {
  path: readonly string[];
  refuses: (o: JobFields) => boolean;
  message: (o: JobFields) => string;
}

const streamOnly = (what: string, why: string) => `${what} is not supported with --stream yet (${why}); dub without streaming to use it`;

export const OPTION_RULES: readonly OptionRule[] = [
  {
    path: ['fitVideo', 'mode'],
    refuses: (o) => o.fitVideo.mode === 'auto' && o.lipsync.engine !== 'off',
    message: (o) => `--fit-video auto is not supported with --lipsync ${o.lipsync.engine} yet (the slowed spans change the video's timing); use one or the other`,
  },
  {
    path: ['fitVideo', 'mode'],
    refuses: (o) => o.fitVideo.mode === 'auto' && o.stream.enabled,
    message: () => "--fit-video auto is not supported with --stream yet (the slowed spans change the video's timing); use one or the other",
  },
  {
    path: ['stream', 'dryRun'],
    refuses: (o) => o.stream.dryRun && !o.stream.enabled,
    message: () => '--dry-run works with --stream on (streaming mode)',
  },
  {
    path: ['series'],
    refuses: (o) => !!o.series && o.stream.enabled,
    message: (o) => streamOnly(o.series?.name ? '--series' : '--cast', "chunks are voiced without the series' cast"),
  },
  {
    path: ['translatedSubs'],
    refuses: (o) => !!o.translatedSubs && o.stream.enabled,
    message: () => streamOnly('--translated-subs', 'chunks are translated one by one; --subs works'),
  },
  {
    path: ['expressive', 'mode'],
    refuses: (o) => o.stream.enabled && (o.expressive.mode !== 'off' || o.expressive.emotionMode !== 'off'),
    message: (o) => streamOnly(o.expressive.mode !== 'off' ? `--expressive ${o.expressive.mode}` : `--emotion-mode ${o.expressive.emotionMode}`, 'chunks are not analysed for prosody'),
  },
  {
    path: ['tts', 'speakerVoices'],
    refuses: (o) => o.stream.enabled && Object.keys(o.tts.speakerVoices ?? {}).length > 0,
    message: () => streamOnly('tts.speakerVoices', "chunks speak with the job's one voice (--voice)"),
  },
  {
    path: ['tts', 'diarize'],
    refuses: (o) => o.stream.enabled && namedDiarizer(o.tts.diarize) !== undefined,
    message: (o) => streamOnly(`tts.diarize ${o.tts.diarize}`, "chunks speak with the job's one voice (--voice)"),
  },
  {
    path: ['tts', 'engine'],
    refuses: (o) => o.stream.enabled && o.tts.engine === 'xtts',
    message: () => streamOnly('--tts xtts', 'voice cloning needs reference clips made from the whole file; use --tts piper, kokoro or espeak-ng'),
  },
  {
    path: ['review'],
    refuses: (o) => o.stream.enabled && (o.review.pause || !!o.review.overrides || o.review.outputVersion !== 1),
    message: () => streamOnly(`--review (and review overrides or output versions)`, 'chunks are voiced as soon as they are translated'),
  },
  {
    path: ['lipsync', 'engine'],
    refuses: (o) => o.stream.enabled && o.lipsync.engine !== 'off',
    message: (o) => streamOnly(`--lipsync ${o.lipsync.engine}`, 'chunks are not lip-synced'),
  },
];

/** Every rule's refusal as an issue at the refused option's path. */
export function optionRuleIssues(o: JobFields): { path: string[]; message: string }[] {
  return OPTION_RULES.filter((r) => r.refuses(o)).map((r) => ({ path: [...r.path], message: r.message(o) }));
}

/** Options of one dub job: travel in the workflow input, validated by the prepareJob activity (fields and rules). */
export const jobOptionsSchema = jobOptionsFields.superRefine((o, ctx) => {
  for (const issue of optionRuleIssues(o)) ctx.addIssue({ code: 'custom', ...issue });
});
export type JobOptionsInput = z.input<typeof jobOptionsSchema>;
export type JobOptions = z.output<typeof jobOptionsSchema>;

/** Settings of this installation (client and workers). */
export const settingsSchema = z.object({
  temporal: z.object({
    /** host:port of a Temporal service; empty = start the embedded dev server. */
    address: z.string().optional(),
    namespace: z.string().min(1).default('default'),
    cliPath: z.string().optional(),
    serverPort: int(1, 65535).default(7233),
    uiPort: int(1, 65535).default(8233),
    /** The embedded server's web UI (`--ui`): off by default, since it answers any Host header (DNS rebinding). */
    ui: boolish.default(false),
    serverStartTimeoutSec: int(5, 600).default(90),
  }).prefault({}),
  stateDir: z.string().min(1).default('.anime-dub'),
  outputDir: z.string().min(1).default('Output'),
  queues: queuesSchema.prefault({}),
  placement: placementSchema,
  concurrency: z.object({
    cpu: int(1, 64).default(2),
    gpu: int(1, 64).default(2),
    workflows: int(1, 200).default(20),
  }).prefault({}),
  /** How often a long activity may report a heartbeat (and so notice a cancellation). */
  heartbeatThrottleSec: num(0.5, 60).default(2),
  plugins: pluginsSchema.prefault({}),
  /** The warm engine host (faster-whisper, piper): its Python, where models run, how many hosts at once. */
  engines: z.object({
    /** Default: the project's .tools/venv/bin/python that scripts/setup.sh makes. */
    python: z.string().min(1).optional(),
    /** auto = CUDA with float16 where it works, the CPU with int8 elsewhere. */
    device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
    /** Default: concurrency.gpu (one host per concurrent GPU-queue activity). */
    hosts: int(1, 16).optional(),
    /** Where the bundled models are (default: the project's .tools/models that scripts/setup.sh fills). */
    modelsDir: z.string().min(1).optional(),
    /**
     * CPU threads each model uses (Whisper, Kokoro, piper). Default: every core, the fastest line on an idle
     * machine. Where jobs already fill the cores, 1 costs less CPU per line (docs/PERFORMANCE.md).
     */
    threads: int(1, 64).optional(),
    /**
     * Which ffmpeg and ffprobe the pipeline runs: the build scripts/setup.sh puts in .tools/ffmpeg (a short run
     * ~4× cheaper; the system's still stretches with rubberband) or the system's for everything (engines/ffmpegBuild.ts).
     */
    ffmpeg: z.enum(['bundled', 'system']).default('bundled'),
  }).prefault({}),
  /**
   * LLM endpoints this worker may call, by name (MT_LLM_ENDPOINTS as JSON; MT_LLM_URL / MT_LLM_API_KEY_ENV set
   * "default", which is the local Ollama otherwise). A job names one; it never supplies a URL or a key.
   */
  llmEndpoints: z.record(endpointName, llmEndpointSchema).default({})
    .transform((e) => ({ default: llmEndpointSchema.parse({}), ...e })),
  /**
   * GGUF chat models this worker may load, by name (MT_GGUF_MODELS as JSON). A job names one with mt.local.model;
   * it never supplies a path. The bundled Qwen model is always there unless renamed away.
   */
  ggufModels: z.record(ggufName, ggufModelSchema).default({})
    .transform((m) => ({ [DEFAULT_GGUF_MODEL]: ggufModelSchema.parse({ file: BUNDLED_GGUF_FILE }), ...m })),
  searchAttributes: boolish.default(true),
  /**
   * Where job folders live between hosts (docs/DEPLOY.md): shared = every worker mounts the output root at the
   * same path; s3 = each worker keeps its own output root and mirrors job folders through an S3-compatible store.
   * Credentials are the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the process, never a setting.
   */
  artifacts: z.object({
    store: z.enum(['shared', 's3']).default('shared'),
    s3: z.object({
      endpoint: z.string().url('a URL such as http://minio.internal:9000').optional(),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 lower-case letters, digits, . -)').optional(),
      region: z.string().min(1).default('us-east-1'),
      /** Every key this installation writes starts with it. */
      prefix: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'folder names each ending in / (e.g. anime-dub/), or empty').default('anime-dub/'),
    }).prefault({}),
    /** This host's cache of fetched content (default: <tmp>/anime-dub-artifacts). */
    cacheDir: z.string().min(1).optional(),
  }).prefault({}),
  /** Free space a job must leave on the output root's disk after its estimated needs (refused before any work otherwise). */
  disk: z.object({ reserveGb: num(0, 1_000_000).default(1) }).prefault({}),
  /** Worker observability: the SDK runtime's Prometheus endpoint, off unless an address is given. */
  metrics: z.object({
    /** host:port serving /metrics (e.g. 0.0.0.0:9464); one per worker process. */
    prometheus: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port such as 0.0.0.0:9464').optional(),
  }).prefault({}),
  /**
   * OpenTelemetry traces of every job (workflow, each activity, the client's start) sent over OTLP/HTTP to the
   * collector the standard OTEL_EXPORTER_OTLP_* variables name; off by default.
   */
  tracing: z.object({ otlp: boolish.default(false) }).prefault({}),
  job: jobOptionsFields.omit({ video: true, queues: true, placement: true, searchAttributes: true, stored: true }).prefault({}),
});
export type Settings = z.output<typeof settingsSchema>;

/** Environment variable → setting path. The single place env names are defined. */
export const ENV_NAMES: Record<string, string> = {
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_CLI: 'temporal.cliPath',
  ANIME_DUB_SERVER_PORT: 'temporal.serverPort',
  ANIME_DUB_UI_PORT: 'temporal.uiPort',
  ANIME_DUB_UI: 'temporal.ui',
  ANIME_DUB_STATE_DIR: 'stateDir',
  ANIME_DUB_OUTPUT_DIR: 'outputDir',
  DUB_ARTIFACT_STORE: 'artifacts.store',
  DUB_S3_ENDPOINT: 'artifacts.s3.endpoint',
  DUB_S3_BUCKET: 'artifacts.s3.bucket',
  DUB_S3_REGION: 'artifacts.s3.region',
  DUB_S3_PREFIX: 'artifacts.s3.prefix',
  DUB_ARTIFACT_CACHE: 'artifacts.cacheDir',
  DUB_QUEUE_WORKFLOWS: 'queues.workflows',
  DUB_QUEUE_CPU: 'queues.cpu',
  DUB_QUEUE_GPU: 'queues.gpu',
  DUB_CPU_CONCURRENCY: 'concurrency.cpu',
  DUB_GPU_CONCURRENCY: 'concurrency.gpu',
  DUB_WORKFLOW_CONCURRENCY: 'concurrency.workflows',
  DUB_HEARTBEAT_THROTTLE_SEC: 'heartbeatThrottleSec',
  DUB_SEARCH_ATTRIBUTES: 'searchAttributes',
  SRC_LANG: 'job.src',
  TGT_LANG: 'job.tgt',
  ASR_ENGINE: 'job.asr.engine',
  ASR_SILENCE_DB: 'job.asr.silenceDb',
  ASR_MIN_SILENCE_SEC: 'job.asr.minSilenceSec',
  ASR_MODEL: 'job.asr.model',
  ASR_WHISPER_CPP_MODEL: 'job.asr.whisperCppModel',
  ASR_NO_SPEECH_THRESHOLD: 'job.asr.noSpeechThreshold',
  ASR_DETECT_LANGUAGE: 'job.asr.detectLanguage',
  MT_ENGINE: 'job.mt.engine',
  MT_GLOSSARY: 'job.mt.glossary',
  MT_LLM_URL: 'llmEndpoints.default.baseUrl',
  MT_LLM_ENDPOINT: 'job.mt.llm.endpoint',
  MT_LLM_MODEL: 'job.mt.llm.model',
  MT_LLM_API_KEY_ENV: 'llmEndpoints.default.apiKeyEnv',
  MT_LLM_BATCH_SIZE: 'job.mt.llm.batchSize',
  MT_LLM_TIMEOUT_SEC: 'job.mt.llm.timeoutSec',
  MT_LLM_MAX_REASKS: 'job.mt.llm.maxReasks',
  MT_LOCAL_MODEL: 'job.mt.local.model',
  MT_LOCAL_BATCH_SIZE: 'job.mt.local.batchSize',
  MT_HONORIFICS: 'job.mt.honorifics',
  MT_LENGTH_BUDGET: 'job.mt.lengthBudget',
  TTS_ENGINE: 'job.tts.engine',
  TTS_VOICE: 'job.tts.voice',
  TTS_PIPER_MODEL: 'job.tts.piperModel',
  TTS_XTTS_MODEL: 'job.tts.xttsModel',
  TTS_DIARIZE: 'job.tts.diarize',
  DUB_SERIES: 'job.series.name',
  SYNTH_CONCURRENCY: 'job.synthesisConcurrency',
  FIT_MAX_SPEED: 'job.fit.maxSpeed',
  FIT_GUARD_MS: 'job.fit.guardMs',
  FIT_MIN_SPEED: 'job.fit.minSpeed',
  FIT_CONDENSE: 'job.fit.condense',
  FIT_VIDEO: 'job.fitVideo.mode',
  FIT_VIDEO_MAX_STRETCH: 'job.fitVideo.maxStretch',
  FIT_VIDEO_SPEECH_SPEED: 'job.fitVideo.speechSpeed',
  MIX_DUCK_DB: 'job.mix.duckDb',
  MIX_SEPARATION: 'job.mix.separation',
  MIX_LOUDNESS_LUFS: 'job.mix.loudnessLufs',
  MIX_TRUE_PEAK_DB: 'job.mix.truePeakDb',
  LIPSYNC: 'job.lipsync.engine',
  STRICT_PLUGINS: 'job.lipsync.strict',
  LIPSYNC_FACE: 'job.lipsync.face',
  LIPSYNC_BOX: 'job.lipsync.box',
  LIPSYNC_TIMEOUT: 'job.lipsync.timeoutSec',
  STREAM: 'job.stream.enabled',
  STREAM_CHUNK_SECONDS: 'job.stream.chunkSeconds',
  STREAM_CHUNK_OVERLAP: 'job.stream.overlapSeconds',
  STREAM_CONCURRENCY: 'job.stream.concurrency',
  STREAM_STITCH: 'job.stream.stitch',
  STREAM_OUTPUT: 'job.stream.output',
  STREAM_DRY_RUN: 'job.stream.dryRun',
  EXPRESSIVE: 'job.expressive.mode',
  EXPRESSIVE_STRENGTH: 'job.expressive.strength',
  EXPRESSIVE_DEBUG: 'job.expressive.debug',
  EMOTION_MODE: 'job.expressive.emotionMode',
  WAV2LIP_DIR: 'plugins.wav2lipDir',
  WAV2LIP_CHECKPOINT: 'plugins.wav2lipCheckpoint',
  WAV2LIP_PYTHON: 'plugins.python',
  ENGINE_PYTHON: 'engines.python',
  ENGINE_DEVICE: 'engines.device',
  ENGINE_HOSTS: 'engines.hosts',
  ENGINE_MODELS_DIR: 'engines.modelsDir',
  ENGINE_THREADS: 'engines.threads',
  ENGINE_FFMPEG: 'engines.ffmpeg',
  DUB_METRICS_PROMETHEUS: 'metrics.prometheus',
  DUB_DISK_RESERVE_GB: 'disk.reserveGb',
  // The worker's limits are also the jobs' defaults; a job may lower them, never raise them.
  DUB_MAX_INPUT_HOURS: 'job.limits.maxInputHours',
  DUB_HEARTBEAT_SEC: 'job.timeouts.heartbeatSec',
  DUB_OTEL_TRACES: 'tracing.otlp',
};
/** MT_LLM_ENDPOINTS='{"name":{"baseUrl":"https://…/v1","apiKeyEnv":"VAR"}}': the worker's LLM endpoints. */
export const LLM_ENDPOINTS_ENV = 'MT_LLM_ENDPOINTS';
/** MT_GGUF_MODELS='{"name":{"file":"/models/qwen2.5-7b-instruct-q4_k_m.gguf"}}': the worker's GGUF models. */
export const GGUF_MODELS_ENV = 'MT_GGUF_MODELS';
/** DUB_PLACEMENT="transcribe=cpu,dubLines=cpu" moves activities between queues (synthesizeLine: dubLines' former name). */
export const PLACEMENT_ENV = 'DUB_PLACEMENT';

/** One readable message naming every bad key and what it allows. */
export function describeIssues(error: z.ZodError, raw?: unknown): string {
  return error.issues
    .map((issue) => {
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
      // Named one by one: a misspelt key ("tgtt") must not be dropped silently, so say which.
      if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${prefix}${k}: unknown option`).join('; ');
      const key = issue.path.length ? issue.path.join('.') : '(root)';
      let value: unknown = raw;
      for (const k of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[k] : undefined;
      const got = value !== undefined && typeof value !== 'object' ? ` (got ${JSON.stringify(value)})` : '';
      return `${key}: ${issue.message}${got}`;
    })
    .join('; ');
}
