// The machine-wide folder of generated test media: one per key, the key made from what makes the media.
import { describe, expect, it } from '@jest/globals';
import { linkMachineMediaCache, mediaKey } from '../support/mediaCache.js';

describe('machine media cache', () => {
  it('keys the folder by a hash of the fixtures, clip scripts, engines and ffmpeg: the same checkout, the same key', () => {
    const key = mediaKey();
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(mediaKey()).toBe(key);
  });

  it('links nothing when turned off', async () => {
    const before = process.env.ANIME_DUB_TEST_MEDIA_CACHE;
    process.env.ANIME_DUB_TEST_MEDIA_CACHE = 'off';
    try {
      expect(await linkMachineMediaCache()).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env.ANIME_DUB_TEST_MEDIA_CACHE;
      else process.env.ANIME_DUB_TEST_MEDIA_CACHE = before;
    }
  });
});
