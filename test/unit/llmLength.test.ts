import { describe, expect, it } from '@jest/globals';
import { parseJobOptions, loadSettings } from '../../config/load.js';
import { translateWithChat, type ChatBackend } from '../../engines/llmTranslate.js';
import { localModelFor, replySchema } from '../../engines/localLlm.js';
import { chrF } from '../../lib/chrf.js';
import { buildMessages, lengthProblem, parseReply, type ChatMessage, type LineToTranslate } from '../../lib/llmProtocol.js';
import { countSyllables, syllableBudget } from '../../lib/syllables.js';

/** A scripted chat model: each call answers with the next function's translations for the asked lines. */
function scripted(...answers: ((l: LineToTranslate) => string)[]): ChatBackend & { calls: { messages: ChatMessage[]; asked: number[] }[] } {
  const calls: { messages: ChatMessage[]; asked: number[] }[] = [];
  return {
    label: 'scripted', batchSize: 6, maxReasks: 1, calls,
    async ask(messages, asked) {
      calls.push({ messages, asked: asked.map((l) => l.i) });
      const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
      const text = JSON.stringify({ lines: asked.map((l) => ({ i: l.i, t: answer(l) })) });
      return { value: JSON.parse(text) as unknown, text };
    },
  };
}

describe('length budget per line', () => {
  it('gives a slot the syllables a voice says in it: longer slots more, a slow engine fewer, never under 2', () => {
    const piper3 = syllableBudget(3, 'en', 'piper');
    expect(piper3).toBeGreaterThanOrEqual(13);
    expect(piper3).toBeLessThanOrEqual(17);
    expect(syllableBudget(6, 'en', 'piper')).toBeGreaterThan(piper3 * 1.8);
    // piper's rate is measured on its voice (lib/syllables.ts VOICE_SYLLABLES_PER_SEC); an engine without one falls
    // back on a typical speaker's rate over its slowness: espeak-ng, slower than a voice trained on people (xtts).
    expect(piper3).toBe(Math.round(3 * 4.37));
    expect(syllableBudget(3, 'es', 'kokoro')).toBe(Math.round(3 * 5.16));
    expect(syllableBudget(3, 'en', 'espeak-ng')).toBeLessThan(syllableBudget(3, 'en', 'xtts'));
    expect(syllableBudget(0.1, 'en', 'piper')).toBe(2);
  });

  it('is calibrated on the voice: a person\'s English for the Japanese scenes is within ±20 % of it on most lines', async () => {
    const { readFileSync } = await import('node:fs');
    const { LENGTH_TOLERANCE } = await import('../../lib/llmProtocol.js');
    let within = 0;
    let total = 0;
    const ratios: number[] = [];
    for (const f of ['ja/dialogue.json', 'scenes/classroom.json', 'scenes/festival.json']) {
      const scene = JSON.parse(readFileSync(new URL(`../../../test/fixtures/${f}`, import.meta.url), 'utf8')) as { lines: { en: string; start: number; end: number }[] };
      for (const l of scene.lines) {
        const ratio = countSyllables(l.en, 'en') / syllableBudget(l.end - l.start, 'en', 'piper');
        ratios.push(ratio);
        total++;
        if (Math.abs(ratio - 1) <= LENGTH_TOLERANCE) within++;
      }
    }
    // Measured 25/46 with piper joe's 4.37 syl/s; the uncalibrated estimate (6.19 × 0.9 / 1.1) gave 14/46.
    expect(within / total).toBeGreaterThan(0.5);
    ratios.sort((a, b) => a - b);
    expect(ratios[Math.floor(ratios.length / 2)]).toBeGreaterThan(0.75);
  });

  it('says how far off a line is, and nothing when it is near its budget', () => {
    const ref = 'Good morning. The weather is really nice today.';
    expect(lengthProblem(ref, 13, 'en')).toEqual({ got: countSyllables(ref, 'en') });
    expect(lengthProblem('Hi.', 13, 'en').why).toMatch(/1 syllables, too short .*about 13 syllables.*no padding/);
    expect(lengthProblem('Good morning to you all, my friends; the weather today is really, truly beautiful and warm.', 10, 'en').why).toMatch(/too long/);
  });

  it('asks the model for each line\'s length in a section of its own, leaving the numbered lines as they were', () => {
    const [, user] = buildMessages([{ i: 0, text: 'おはよう。', speaker: 'Misaki', budget: 9 }, { i: 1, text: 'うん。', budget: 2 }], { src: 'ja', tgt: 'en' });
    expect(user.content).toMatch(/^0\. Misaki: おはよう。$/m);
    expect(user.content).toMatch(/^1\. うん。$/m);
    expect(user.content).toMatch(/line 0: about 9 syllables\nline 1: about 2 syllables/);
  });

  it('asks again for a line far from its budget and keeps the nearer answer; reports budget, got and asks', async () => {
    const backend = scripted(
      (l) => (l.i === 0 ? 'Hi.' : 'But I am a little sleepy this morning.'),
      () => 'Good morning, the weather is nice today.',
    );
    const out = await translateWithChat(backend, [{ text: 'おはよう。今日は本当に天気がいいね。', budget: 12 }, { text: 'でも、僕はちょっと眠いんだ。', budget: 10 }], { src: 'ja', tgt: 'en' }, []);
    expect(backend.calls.map((c) => c.asked)).toEqual([[0, 1], [0]]);
    expect(backend.calls[1].messages[1].content).toMatch(/line 0: it has 1 syllables, too short/);
    expect(out.targets).toEqual(['Good morning, the weather is nice today.', 'But I am a little sleepy this morning.']);
    expect(out.lengths).toEqual([
      { budget: 12, got: countSyllables(out.targets[0]!, 'en'), asks: 2 },
      { budget: 10, got: countSyllables(out.targets[1]!, 'en'), asks: 1 },
    ]);
    expect(out.failures.size).toBe(0);
  });

  it('keeps the first answer when asking again for length made it worse, and never fails a line only for its length', async () => {
    const backend = scripted(() => 'Hello there.', () => 'Hi.');
    const out = await translateWithChat(backend, [{ text: 'こんにちは、元気ですか、今日はいい日ですね。', budget: 14 }], { src: 'ja', tgt: 'en' }, []);
    expect(out.targets).toEqual(['Hello there.']);
    expect(out.lengths[0]).toEqual({ budget: 14, got: countSyllables('Hello there.', 'en'), asks: 2 });
  });
});

describe('names, honorifics and speakers in the prompt', () => {
  it('keeps honorifics by default and adapts them when asked, for Japanese sources only', () => {
    const keep = buildMessages([{ i: 0, text: 'タケシくん' }], { src: 'ja', tgt: 'en' })[0].content;
    expect(keep).toMatch(/くん\/君 => -kun/);
    expect(keep).toMatch(/先生 alone or after a name => Sensei/);
    expect(keep).toMatch(/Hepburn/);
    expect(buildMessages([{ i: 0, text: 'タケシくん' }], { src: 'ja', tgt: 'en', honorifics: 'adapt' })[0].content).toMatch(/drop -san, -chan, -kun/);
    expect(buildMessages([{ i: 0, text: 'Hello' }], { src: 'en', tgt: 'es' })[0].content).not.toMatch(/honorific/i);
  });

  it('drops a speaker name of the batch the model put before a translation, and only those', () => {
    const parsed = parseReply({ lines: [{ i: 0, t: 'Misaki: Good morning.' }, { i: 1, t: 'Kenta: yes' }, { i: 2, t: 'Misaki: Oh!' }] }, [{ i: 0, text: 'おはよう', speaker: 'Misaki' }, { i: 1, text: 'うん' }, { i: 2, text: 'あっ！', speaker: 'Daichi' }]);
    expect(parsed.translations.get(0)).toBe('Good morning.');
    expect(parsed.translations.get(1)).toBe('Kenta: yes');
    expect(parsed.translations.get(2)).toBe('Oh!');
  });
});

describe('the local model as a worker setting', () => {
  it('a job picks a model by name; a name the worker does not have is refused naming the ones it has', () => {
    const models = loadSettings({}).ggufModels;
    expect(localModelFor('qwen2.5-coder-1.5b', models).path).toMatch(/qwen2\.5-coder-1\.5b\/qwen2\.5-coder-1\.5b-instruct-q4_k_m\.gguf$/);
    expect(() => localModelFor('../../etc/passwd', models)).toThrow(/not one of this worker's GGUF models \(qwen2\.5-coder-1\.5b\)/);
    expect(() => localModelFor('constructor', models)).toThrow(/not one of this worker's GGUF models/);
  });

  it('job input cannot name a model file, only a model', () => {
    expect(parseJobOptions({ video: '/x.mp4', mt: { engine: 'local-llm', local: { file: '/tmp/evil.gguf' } } })).toMatchObject({ ok: false, message: expect.stringMatching(/mt\.local\.file is a worker setting/) });
    expect(parseJobOptions({ video: '/x.mp4', mt: { local: { model: '/tmp/evil.gguf' } } })).toMatchObject({ ok: false, message: expect.stringMatching(/mt\.local\.model/) });
    expect(parseJobOptions({ video: '/x.mp4', mt: { engine: 'local-llm', local: { model: 'qwen2.5-coder-1.5b' } } })).toMatchObject({ ok: true });
  });

  it('the worker names more models in MT_GGUF_MODELS, the bundled one stays', () => {
    const models = loadSettings({ MT_GGUF_MODELS: '{"qwen7b":{"file":"/models/qwen2.5-7b-instruct-q4_k_m.gguf","threads":8}}' }).ggufModels;
    expect(Object.keys(models).sort()).toEqual(['qwen2.5-coder-1.5b', 'qwen7b']);
    expect(localModelFor('qwen7b', models)).toMatchObject({ path: '/models/qwen2.5-7b-instruct-q4_k_m.gguf', threads: 8, gpu: 'auto' });
    expect(() => loadSettings({ MT_GGUF_MODELS: '{"x":{"file":"/models/x.bin"}}' })).toThrow(/\.gguf/);
  });

  it('constrains the reply to exactly the asked line numbers', () => {
    const schema = replySchema([{ i: 2, text: 'a' }, { i: 5, text: 'b' }]);
    expect(schema.properties.lines.prefixItems.map((p) => p.properties.i.const)).toEqual([2, 5]);
    expect(schema.properties.lines).toMatchObject({ minItems: 2, maxItems: 2 });
  });
});

describe('chrF', () => {
  it('is 100 for a perfect match, 0 for nothing in common, and in between for a partial one', () => {
    expect(chrF(['Where is the station?'], ['Where is the station?'])).toBeCloseTo(100);
    expect(chrF(['xyz'], ['abc'])).toBe(0);
    const partial = chrF(['Where is the snow?'], ['Where is the station?']);
    expect(partial).toBeGreaterThan(30);
    expect(partial).toBeLessThan(80);
    expect(() => chrF(['a'], [])).toThrow(/one reference per hypothesis/);
  });
});

describe('answers a small model gets wrong', () => {
  it('a line left in Japanese or copied from another line is asked again, without the lines before', async () => {
    const backend = scripted(
      (l) => (l.i === 0 ? 'また夜遅くまで、ゲームで遊んでいたの？' : 'Good morning.'),
      (l) => (l.i === 0 ? 'Were you up late playing games again?' : 'I brought a big umbrella.'),
    );
    const out = await translateWithChat(backend, [{ text: 'また夜遅くまで、ゲームで遊んでいたの？' }, { text: '大丈夫。私、大きい傘を持ってきたよ。' }], { src: 'ja', tgt: 'en' }, []);
    expect(backend.calls.map((c) => c.asked)).toEqual([[0, 1], [0]]);
    expect(backend.calls[1].messages[1].content).toMatch(/line 0: it is not in English/);
    expect(out.targets).toEqual(['Were you up late playing games again?', 'Good morning.']);
    const copy = scripted(() => 'Good morning.', () => 'Good morning!', () => 'I brought a big umbrella.');
    const again = await translateWithChat({ ...copy, batchSize: 1 }, [{ text: 'おはよう。' }, { text: '傘を持ってきたよ。' }], { src: 'ja', tgt: 'en' }, []);
    expect(copy.calls[1].asked).toEqual([0]);
    expect(copy.calls[2].messages[1].content).toMatch(/line 0: it repeats the translation of another line/);
    expect(copy.calls[2].messages[1].content).not.toMatch(/Said just before|Context before/);
    expect(again.targets).toEqual(['Good morning.', 'I brought a big umbrella.']);
  });
});
