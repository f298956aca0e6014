import { seededRandom, seededSample } from './seeded-random';

describe(seededSample.name, () => {
  const ids = Array.from({ length: 500 }, (_, i) => `case-${String(i).padStart(3, '0')}`);

  it('draws the same sample from the same seed, and a different one from another seed', () => {
    expect(seededSample(ids, 20, 'NV-2025-Q1')).toEqual(seededSample(ids, 20, 'NV-2025-Q1'));
    expect(seededSample(ids, 20, 'NV-2025-Q1')).not.toEqual(seededSample(ids, 20, 'NV-2025-Q2'));
  });

  it('is pinned: the same seed gives these very items on every machine and release', () => {
    expect(seededSample(ids, 5, 'phòng nội vụ')).toEqual(seededSample(ids, 5, 'phòng nội vụ'.normalize('NFD')));
    expect(seededRandom('seed')()).toBeCloseTo(seededRandom('seed')(), 15);
    expect(seededSample(['a', 'b', 'c', 'd', 'e'], 5, '42')).toEqual(PINNED_42);
  });

  it('draws without replacement, all items when asked for more than there are', () => {
    const s = seededSample(ids, 50, 'x');
    expect(new Set(s).size).toBe(50);
    expect(s.every((id) => ids.includes(id))).toBe(true);
    expect(seededSample(ids.slice(0, 3), 10, 'x').sort()).toEqual(ids.slice(0, 3));
    expect(seededSample([], 10, 'x')).toEqual([]);
  });

  it('gives every item about the same chance (10,000 draws of 1 from 10)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10000; i++) {
      const [pick] = seededSample(ids.slice(0, 10), 1, `seed-${i}`);
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });
});

const PINNED_42 = ['e', 'd', 'c', 'a', 'b'];
