// Lip-sync plugins by name. A new plugin: its file here, its name in LIPSYNC_PLUGIN_NAMES (config/schema.ts),
// one line below (the type makes a missing line a compile error).
import { LIPSYNC_PLUGIN_NAMES, type LipsyncPluginName } from '../../config/schema.js';
import type { LipsyncPlugin } from './plugin.js';
import { animeflap } from './animeflap.js';
import { wav2lip } from './wav2lip.js';

const byName: Record<LipsyncPluginName, LipsyncPlugin> = { wav2lip, animeflap };
const plugins = new Map<string, LipsyncPlugin>(LIPSYNC_PLUGIN_NAMES.map((name) => [name, byName[name]]));

export function lipsyncPlugin(name: string): LipsyncPlugin | undefined {
  return plugins.get(name);
}

export function lipsyncPluginNames(): string[] {
  return [...plugins.keys()];
}
