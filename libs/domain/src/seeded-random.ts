/**
 * Reproducible randomness for audit samples: the same seed gives the same draw on every machine and
 * version of Node (no Math.random). cyrb128 spreads the seed text over 128 bits; sfc32 is a small,
 * well-tested generator (PractRand) whose output is the same everywhere, as it uses 32-bit integer
 * arithmetic only.
 */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A generator of floats in [0, 1) determined by `seed`. */
export function seededRandom(seed: string): () => number {
  let [a, b, c, d] = cyrb128(seed.normalize('NFC'));
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs, which still show the seed's structure.
  for (let i = 0; i < 15; i++) next();
  return next;
}

/**
 * `size` items drawn without replacement, in draw order: the first `size` steps of a Fisher-Yates
 * shuffle of a copy. Callers sort the candidates first (e.g. by id) so the draw depends only on the
 * seed and the set of candidates, not on the order a query returned them in.
 */
export function seededSample<T>(items: readonly T[], size: number, seed: string): T[] {
  const pool = [...items];
  const random = seededRandom(seed);
  const n = Math.min(size, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}
