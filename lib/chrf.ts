// chrF (Popović 2015), as sacreBLEU computes it by default: character n-grams of order 1–6 with whitespace
// removed, statistics summed over the whole corpus, precision and recall averaged over the orders, F with β = 2.
// The benchmark and the quality tests score translations against a person's reference with it.

const ORDER = 6;
const BETA = 2;

function ngrams(text: string, n: number): Map<string, number> {
  const chars = [...text.replace(/\s+/gu, '')];
  const out = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** chrF in 0–100 of hypotheses against references (same length, line by line). */
export function chrF(hypotheses: readonly string[], references: readonly string[]): number {
  if (hypotheses.length !== references.length) throw new Error(`chrF needs one reference per hypothesis (${hypotheses.length} vs ${references.length})`);
  const match = new Array<number>(ORDER).fill(0);
  const hypTotal = new Array<number>(ORDER).fill(0);
  const refTotal = new Array<number>(ORDER).fill(0);
  hypotheses.forEach((hyp, k) => {
    for (let n = 1; n <= ORDER; n++) {
      const h = ngrams(hyp, n);
      const r = ngrams(references[k], n);
      for (const [g, c] of h) {
        hypTotal[n - 1] += c;
        match[n - 1] += Math.min(c, r.get(g) ?? 0);
      }
      for (const c of r.values()) refTotal[n - 1] += c;
    }
  });
  let p = 0;
  let r = 0;
  let orders = 0;
  for (let n = 0; n < ORDER; n++) {
    if (!hypTotal[n] || !refTotal[n]) continue;
    p += match[n] / hypTotal[n];
    r += match[n] / refTotal[n];
    orders++;
  }
  if (!orders) return 0;
  p /= orders;
  r /= orders;
  const b2 = BETA * BETA;
  return p + r === 0 ? 0 : (100 * (1 + b2) * p * r) / (b2 * p + r);
}
