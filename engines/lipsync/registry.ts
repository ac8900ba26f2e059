// Lip-sync plugins by name.
import type { LipsyncPlugin } from './plugin.js';
import { wav2lip } from './wav2lip.js';

const plugins = new Map<string, LipsyncPlugin>([[wav2lip.name, wav2lip]]);

export function lipsyncPlugin(name: string): LipsyncPlugin | undefined {
  return plugins.get(name);
}

export function lipsyncPluginNames(): string[] {
  return [...plugins.keys()];
}
