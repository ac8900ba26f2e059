// What `doctor` says about one engine: the shape every engine's check reports in (each engine's record answers it; engineChecks.ts gathers them).
export interface EngineStatus {
  name: string;
  kind: 'media' | 'asr' | 'mt' | 'tts' | 'lipsync' | 'vad' | 'diarizer' | 'separation' | 'orchestration';
  installed: boolean;
  version?: string;
  detail?: string;
  install: string;
  /** A production engine chosen per job: its absence never stops the embedded default from working. */
  optional?: boolean;
}
