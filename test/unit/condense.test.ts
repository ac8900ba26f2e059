import { describe, expect, it } from '@jest/globals';
import { spokenText } from '../../lib/job.js';
import { condenseText } from '../../lib/condense.js';
import { countSyllables, engineSpeechSec, estimateSpeechSec, syllablesPerSec } from '../../lib/syllables.js';

describe('syllable estimates per language', () => {
  it.each([
    ['en', 'Hello there, how are you today?', 8],
    ['en', 'I made a little cake', 6],
    ['es', 'Hola, ¿cómo estás hoy?', 7],
    ['fr', 'Je parle avec elles', 5],
    ['de', 'Ich möchte heute schlafen', 7],
    ['it', 'Buongiorno a tutti', 6],
    ['pt', 'Obrigado pela ajuda', 9],
    ['ja', 'ありがとう', 5],
    ['ja', 'きょうは', 3],
    ['ja', 'ちょっと待って', 6.7],
    ['zh', '你好吗', 3],
  ])('%s: "%s" ≈ %d', (lang, text, want) => {
    expect(countSyllables(text, lang)).toBeCloseTo(want, 1);
  });

  it('counts digits as spoken numbers and mixed scripts by their own rule', () => {
    expect(countSyllables('Room 42', 'en')).toBe(4);
    expect(countSyllables('OK、ありがとう', 'ja')).toBe(6);
  });

  it('turns syllables into seconds at the language’s typical rate, with pauses at punctuation', () => {
    expect(syllablesPerSec('ja')).toBeGreaterThan(syllablesPerSec('zh'));
    expect(syllablesPerSec('pt-BR')).toBe(syllablesPerSec('pt'));
    expect(syllablesPerSec('xx')).toBeGreaterThan(0);
    expect(estimateSpeechSec('', 'en')).toBe(0);
    const plain = estimateSpeechSec('one two three four', 'en');
    expect(plain).toBeCloseTo(4 / 6.19, 3);
    expect(estimateSpeechSec('one, two. three four', 'en')).toBeGreaterThan(plain);
  });
});

describe('estimates as a synthesizer speaks', () => {
  it('espeak-ng and festival are slower than a person; espeak-ng follows its words-per-minute rate', () => {
    const text = 'Muchas gracias por todo lo que has hecho.';
    const person = estimateSpeechSec(text, 'es');
    expect(engineSpeechSec(text, 'es', 'espeak-ng')).toBeCloseTo(person * 1.32, 6);
    expect(engineSpeechSec(text, 'es', 'espeak-ng', 330)).toBeCloseTo((person * 1.32) / 2, 6);
    expect(engineSpeechSec('Thank you.', 'en', 'festival')).toBeCloseTo(estimateSpeechSec('Thank you.', 'en') * 1.27, 6);
    expect(engineSpeechSec(text, 'es', 'piper')).toBeCloseTo(person * 1.1, 6);
  });
});

describe('condensing a line by rules', () => {
  it('drops asides in brackets first', () => {
    expect(condenseText('I told him (and he agreed) that we leave at dawn.', 'en')).toMatchObject({
      text: 'I told him that we leave at dawn.', rules: ['parentheticals'],
    });
    expect(condenseText('これは【重要】です', 'ja').text).toBe('これはです');
  });

  it('drops fillers and interjections per language', () => {
    expect(condenseText('Um, well, you know, I mean, we should go, right?', 'en').text).toBe('We should go.');
    expect(condenseText('Oh, I think, like, it is fine.', 'en').text).toBe('I think, it is fine.');
    expect(condenseText('Bueno, pues, o sea, no sé, ¿sabes?', 'es').text).toBe('No sé.');
    expect(condenseText('Euh, en fait, je pense que oui, tu sais.', 'fr').text).toBe('Je pense que oui.');
    expect(condenseText('Äh, also, ich weiß nicht.', 'de').text).toBe('Ich weiß nicht.');
    expect(condenseText('えっと、あの、ちょっと待って', 'ja').text).toBe('ちょっと待って');
    expect(condenseText('あの人は誰', 'ja').text).toBe('あの人は誰');
    expect(condenseText('嗯，那个，我不知道', 'zh').text).toBe('我不知道');
  });

  it('keeps words that only look like fillers inside a clause', () => {
    expect(condenseText('I like it so much, well done.', 'en').text).toBe('I like it so much, well done.');
  });

  it('collapses stutters and repeated words', () => {
    expect(condenseText('W-wait, no, no, no! I-I can do it.', 'en').text).toBe('Wait, no! I can do it.');
  });

  it('stops as soon as the line is estimated to fit', () => {
    const text = 'Um, the plan (the real one) is simple.';
    const fitsAfterFillers = estimateSpeechSec('The plan (the real one) is simple.', 'en');
    const r = condenseText(text, 'en', fitsAfterFillers + 0.5);
    expect(r.rules).toEqual([]);
    expect(r.text).toBe(text);
    expect(condenseText(text, 'en', 0.5).rules).toEqual(['parentheticals', 'fillers']);
  });

  it('never condenses a line to nothing', () => {
    expect(condenseText('Um...', 'en').text).toBe('Um...');
    expect(condenseText('(laughs)', 'en').text).toBe('(laughs)');
  });
});

describe('the condensing activities (no server: called directly)', () => {
  const prepIn = async (over: Record<string, unknown> = {}) => {
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const root = await mkdtemp(`${os.tmpdir()}/anime-dub-condense-`);
    return {
      job: { root, name: 'job' }, ttsEngine: 'espeak-ng', media: { durationSec: 4.5 } as never,
      options: { src: 'en', tgt: 'en', translate: false, tts: { espeakSpeed: 165 }, fit: { maxSpeed: 1.25, minSpeed: 0.9, guardMs: 80, fadeMs: 30, condense: true }, review: {}, mt: { engine: 'apertium' }, ...over },
    } as never;
  };
  const long = 'Um, well, you know, I think that (as I said before, many times) we really, really should go now, right?';
  const lines = [
    { index: 0, start: 0, end: 1.5, text: 'a', target: `[happy] ${long}` },
    { index: 1, start: 1.6, end: 3, text: 'b', target: 'Fine.' },
    { index: 2, start: 3.1, end: 4, text: 'c', target: long },
  ];

  it('condenses what is clearly too long, keeps emotion tags and review edits, and writes condensed.json', async () => {
    const { condenseList } = await import('../../activities/condense.js');
    const { readFile } = await import('node:fs/promises');
    const prep = await prepIn({ review: { overrides: { version: 1, edits: { 2: { text: long } } } } });
    const out = await condenseList(prep, lines);
    expect(out[0].spoken!.startsWith('[happy] ')).toBe(true);
    expect(out[0].spoken!.length).toBeLessThan(lines[0].target.length);
    expect(out[0].target).toBe(lines[0].target); // the translation stays what it was; `spoken` is what is said
    expect(out[0].condensed).toMatchObject({ from: lines[0].target, to: out[0].spoken });
    expect(out[0].condensed!.estimatedSec.to).toBeLessThan(out[0].condensed!.estimatedSec.from);
    expect(out[1]).toEqual(lines[1]);
    expect(spokenText(out[2])).toBe(long); // a person's wording is said as written
    expect(out[2].condensed).toBeUndefined();
    expect(out[2].rateHint).toBe(1.25); // …at the fastest the engine may speak it
    const saved = JSON.parse(await readFile(`${(prep as { job: { root: string } }).job.root}/job/condensed.json`, 'utf8'));
    expect(saved.lines).toEqual(out);
    expect(await condenseList(prep, lines)).toEqual(out); // reused
  });

  it('with condensing off, every word is kept; the engine is still asked for the speed', async () => {
    const { condenseList } = await import('../../activities/condense.js');
    const prep = await prepIn({ fit: { maxSpeed: 1.25, minSpeed: 0.9, guardMs: 80, fadeMs: 30, condense: false } });
    const out = await condenseList(prep, lines);
    expect(out.map(spokenText)).toEqual(lines.map((l) => l.target));
    expect(out.every((l) => l.condensed === undefined)).toBe(true);
    expect(out[0].rateHint).toBe(1.25);
  });

  it('after synthesis: condenses against the real clip and asks the engine for the speed; remembered for the next render', async () => {
    const { condenseList, reviseLine } = await import('../../activities/condense.js');
    const prep = await prepIn();
    const slot = { start: 0, end: 2 };
    const line = { index: 5, start: 0, end: 1.8, text: 'e', target: 'Well, I think (as I said) we go.' };
    expect(await reviseLine(prep, { ...line, target: 'Fine.' }, 1, slot)).toBeUndefined(); // fits as it is
    const festival = { ...(prep as object), ttsEngine: 'festival' } as never;
    expect(await reviseLine(festival, line, 2.3, slot)).toBeUndefined(); // 1.15× by a filter: no rate knob to ask
    expect(await reviseLine(prep, line, 2.3, slot)).toMatchObject({ target: line.target, rateHint: 1.15, revised: true });

    const shorter = await reviseLine(prep, line, 2.6, slot); // 1.3× > 1.25×: the aside goes
    expect(shorter).toMatchObject({ target: line.target, spoken: 'Well, I think we go.', revised: true });
    expect(shorter?.condensed?.rules).toEqual(['parentheticals (after synthesis)']);
    expect(shorter?.rateHint ?? 1).toBeLessThanOrEqual(1.25);
    // The next render says the revised line at once; a changed line does not pick up the old revision.
    expect((await condenseList(prep, [line]))[0]).toEqual(shorter);
    expect((await condenseList(prep, [{ ...line, target: 'Something else.' }]))[0].revised).toBeUndefined();
    // A line written before `spoken` existed (the spoken text in `target`) reads the same.
    expect(spokenText({ target: 'Well, I think we go.' })).toBe('Well, I think we go.');
    expect(await reviseLine(prep, { ...line, target: 'We go now.' }, 5, { start: 0, end: 0 })).toBeUndefined(); // no room at all
  });
});

describe('an LLM rewrite after the rules (the job translates with a chat model)', () => {
  const longEs = 'Muchas gracias por todo lo que has hecho por nosotros durante todo este tiempo.';
  const withServer = async (reply: (body: string) => string, work: (baseUrl: string, asked: string[]) => Promise<void>) => {
    const http = await import('node:http');
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        asked.push(body);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: reply(body) } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    // The endpoint is a worker setting (env); the job only names it.
    const before = process.env.MT_LLM_ENDPOINTS;
    process.env.MT_LLM_ENDPOINTS = JSON.stringify({ condense: { baseUrl: `http://127.0.0.1:${port}/v1` } });
    try {
      await work(`http://127.0.0.1:${port}/v1`, asked);
    } finally {
      if (before === undefined) delete process.env.MT_LLM_ENDPOINTS;
      else process.env.MT_LLM_ENDPOINTS = before;
      await new Promise((resolve) => server.close(resolve));
    }
  };
  const prepFor = async (_baseUrl: string) => {
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const root = await mkdtemp(`${os.tmpdir()}/anime-dub-condense-llm-`);
    return {
      job: { root, name: 'job' }, ttsEngine: 'espeak-ng', media: { durationSec: 2 },
      options: {
        src: 'en', tgt: 'es', translate: true, tts: { espeakSpeed: 165 }, review: {},
        fit: { maxSpeed: 1.25, minSpeed: 0.9, guardMs: 80, fadeMs: 30, condense: true },
        mt: { engine: 'llm', llm: { endpoint: 'condense', model: 'm', timeoutSec: 10, batchSize: 20, maxReasks: 0 } },
      },
    } as never;
  };

  it('asks the model for a shorter line when the rules cannot make it fit', async () => {
    const { condenseList } = await import('../../activities/condense.js');
    await withServer(() => '```json\n{"line": "Gracias por todo."}\n```', async (baseUrl, asked) => {
      const [line] = await condenseList(await prepFor(baseUrl), [{ index: 0, start: 0, end: 1.5, text: 'Thanks for everything.', target: longEs }]);
      expect(line).toMatchObject({ target: longEs, spoken: 'Gracias por todo.' });
      expect(line.condensed).toMatchObject({ from: longEs, rules: ['llm'] });
      expect(asked).toHaveLength(1);
      expect(JSON.parse(JSON.parse(asked[0]).messages[1].content)).toMatchObject({ language: 'es', line: longEs });
    });
  });

  it('a model that answers nonsense or not at all leaves the rules’ version', async () => {
    const { condenseList } = await import('../../activities/condense.js');
    await withServer(() => 'I cannot help with that.', async (baseUrl) => {
      const [line] = await condenseList(await prepFor(baseUrl), [{ index: 0, start: 0, end: 1.5, text: 'x', target: longEs }]);
      expect(spokenText(line)).toBe(longEs);
      expect(line.rateHint).toBe(1.25);
    });
    const [line] = await condenseList(await prepFor('http://127.0.0.1:9/v1'), [{ index: 0, start: 0, end: 1.5, text: 'x', target: longEs }]);
    expect(spokenText(line)).toBe(longEs);
  });
});
