// Which tracks a player picks: in the MP4 and the MKV the dub audio and the dub-language subtitles carry the
// default flag (the MP4 muxer flags the first subtitle track, the source language's, when none is default), and
// the input's own subtitle streams copied into the MKV lose theirs. Real ffmpeg muxes, ffprobe reads back.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { muxMkvArgv, muxMp4Argv, type MuxTrackInfo } from '../../engines/ffmpeg.js';
import { run } from '../../engines/run.js';
import { probe, type ProbedStream } from '../support/media.js';
import { tempDir } from '../support/jobs.js';

const SRT = (text: string) => `1\n00:00:00,500 --> 00:00:01,500\n${text}\n`;

const defaults = (streams: ProbedStream[], type: string) =>
  streams.filter((s) => s.codec_type === type).map((s) => [s.tags?.language, s.disposition?.default ?? 0]);

describe('default tracks (real ffmpeg, ffprobe)', () => {
  let dir: string;
  let tracks: MuxTrackInfo;

  beforeAll(async () => {
    dir = await tempDir('default-tracks');
    // The "input": picture, Japanese audio, and its own subtitle stream flagged default (as releases often do).
    const own = path.join(dir, 'own.srt');
    await writeFile(own, SRT('fansub line'));
    const input = path.join(dir, 'input.mkv');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:d=2', '-f', 'lavfi', '-i', 'sine=f=440:d=2:r=48000', '-i', own,
      '-map', '0:v', '-map', '1:a', '-map', '2:s', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
      '-metadata:s:a:0', 'language=jpn', '-metadata:s:s:0', 'language=eng', '-disposition:a:0', 'default', '-disposition:s:0', 'default+forced', input]);
    const mix = path.join(dir, 'dub.wav');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=660:d=2:r=48000', '-ac', '2', mix]);
    const sourceSrt = path.join(dir, 'src.srt');
    const targetSrt = path.join(dir, 'tgt.srt');
    await writeFile(sourceSrt, SRT('おはよう'));
    await writeFile(targetSrt, SRT('Good morning'));
    tracks = { video: input, original: input, mix, originalCodec: 'aac', sourceSrt, targetSrt, srcLang: 'jpn', tgtLang: 'eng', title: 'scene (en dub)', inputSubtitles: 1 };
  });

  it('MP4: the dub audio and the dub-language subtitles are the default tracks', async () => {
    const out = path.join(dir, 'out.mp4');
    await run(muxMp4Argv({ ...tracks, inputSubtitles: undefined }, out));
    const { streams } = await probe(out);
    expect(defaults(streams, 'audio')).toEqual([['eng', 1], ['jpn', 0]]);
    expect(defaults(streams, 'subtitle')).toEqual([['jpn', 0], ['eng', 1]]);
  }, 60_000);

  it('MKV: the same, and the input’s own subtitle stream keeps its other flags but not the default', async () => {
    const out = path.join(dir, 'out.mkv');
    await run(muxMkvArgv(tracks, out));
    const { streams } = await probe(out);
    expect(defaults(streams, 'audio')).toEqual([['eng', 1], ['jpn', 0]]);
    expect(defaults(streams, 'subtitle')).toEqual([['jpn', 0], ['eng', 1], ['eng', 0]]);
    expect(streams.filter((s) => s.codec_type === 'subtitle')[2].disposition?.forced).toBe(1);
  }, 60_000);
});
