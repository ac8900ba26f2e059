// The verify-* scripts a user runs to check a feature on their machine pass here.
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { execa } from 'execa';
import { PROJECT_ROOT, workerPort } from '../support/env.js';

// Their embedded server on this worker's ports (server port + 5, UI + 6), one script at a time.
const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_VERIFY_PORT: String(workerPort(5)) };

describe('verify scripts', () => {
  it('scripts/verify-lipsync-plugin passes (stand-in Wav2Lip, fallback, strict)', async () => {
    const r = await execa(path.join(PROJECT_ROOT, 'scripts', 'verify-lipsync-plugin'), [], { reject: false, env });
    expect(r.stdout).toMatch(/lip-sync plugin verified/);
    expect(r.exitCode).toBe(0);
  }, 420_000); // whole dubs through the CLI: minutes on 2 loaded cores

  it('scripts/verify-streaming-mode passes (dry run: cuts, muxes, manifest, playlist, stitch)', async () => {
    const r = await execa(path.join(PROJECT_ROOT, 'scripts', 'verify-streaming-mode'), [], { reject: false, env });
    expect(r.stdout).toMatch(/streaming mode verified/);
    expect(r.exitCode).toBe(0);
  }, 420_000); // whole dubs through the CLI: minutes on 2 loaded cores

  it('scripts/verify-expressive passes (measured energy and pitch carry-over)', async () => {
    const r = await execa(path.join(PROJECT_ROOT, 'scripts', 'verify-expressive'), [], { reject: false, env });
    expect(r.stdout).toMatch(/expressive prosody verified/);
    expect(r.exitCode).toBe(0);
  }, 420_000); // whole dubs through the CLI: minutes on 2 loaded cores
});
