// llama.cpp for Node (node-llama-cpp 3.22.1), loaded from the opt-in runtime scripts/setup-llm.sh installs
// (.tools/llama): its prebuilt CPU, CUDA and Vulkan binaries are ~670 MB that no default dub needs, so they are
// not in the project's own dependencies. Only what the local translator calls is typed here.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorType, failure } from '../lib/errors.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where scripts/setup-llm.sh links the runtime (its package.json and lockfile: scripts/llm-runtime/). */
export const LLAMA_RUNTIME_DIR = path.join(PROJECT_ROOT, '.tools', 'llama');
export const LLAMA_SETUP_FIX = 'run scripts/setup-llm.sh (it installs node-llama-cpp 3.22.1 with its prebuilt llama.cpp and the local translator\'s model)';

export interface LlamaGrammar { readonly _grammar?: never }
export interface LlamaContextSequence { readonly _sequence?: never }
export interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}
export interface LlamaModel {
  createContext(options: { contextSize: number; threads: number; sequences: number }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}
export interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar>;
}
export interface LlamaChatSession {
  prompt(text: string, options: {
    grammar: LlamaGrammar; signal: AbortSignal; stopOnAbortSignal: boolean; temperature: number;
    onTextChunk?: (chunk: string) => void; maxTokens: number;
  }): Promise<string>;
  dispose(): void;
}
export interface LlamaCpp {
  getLlama(options: {
    gpu: false | 'auto'; build: 'never'; usePrebuiltBinaries: boolean; skipDownload: boolean; progressLogs: boolean; logLevel: unknown;
  }): Promise<Llama>;
  LlamaLogLevel: { error: unknown };
  LlamaChatSession: new (options: { contextSequence: LlamaContextSequence; systemPrompt?: string; autoDisposeSequence: boolean }) => LlamaChatSession;
}

let loaded: Promise<LlamaCpp> | undefined;

/** The runtime's module, once per process; EngineMissing naming the setup step when it is not installed. */
export function llamaCpp(): Promise<LlamaCpp> {
  loaded ??= (async () => {
    const entry = path.join(LLAMA_RUNTIME_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
    if (!existsSync(entry)) throw failure(ErrorType.EngineMissing, `--mt local-llm: node-llama-cpp is not installed (no ${entry}); ${LLAMA_SETUP_FIX}`);
    return (await import(pathToFileURL(entry).href)) as LlamaCpp;
  })();
  loaded.catch(() => { loaded = undefined; });
  return loaded;
}
