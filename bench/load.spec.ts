import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pacedLatency, SendStats } from './load';

function pacedStats(): SendStats {
  return {
    created: 2,
    duplicate: 0,
    retries: 0,
    failed: 1,
    failures: new Map([['500', 1]]),
    httpMs: Float64Array.from([3.25, 12.5, 40]),
    firstSentAt: 1_000,
    lastAnsweredAt: 1_100,
    scheduledAt: new Map([
      ['a', 1_000],
      ['b', 1_005],
      ['c', 1_010],
    ]),
    failedIds: new Set(['c']),
    maxSendDelayMs: 0,
  };
}

describe(pacedLatency.name, () => {
  const before = process.env.BENCH_PACED_LOG;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'fr-paced-log-'))));
  afterEach(() => {
    if (before === undefined) delete process.env.BENCH_PACED_LOG;
    else process.env.BENCH_PACED_LOG = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts accepted requests only, and a request accepted but never done as missing', () => {
    delete process.env.BENCH_PACED_LOG;
    const out = pacedLatency(pacedStats(), new Map([['a', 1_004]]), 'engine');
    expect(out.missing).toBe(1);
    expect(out.p).toEqual([4, 4, 4, 4]);
  });

  it('appends every request of each run to BENCH_PACED_LOG under its run, with one header', () => {
    const file = path.join(dir, 'paced.csv');
    process.env.BENCH_PACED_LOG = file;
    pacedLatency(pacedStats(), new Map([['a', 1_004]]), 'engine');
    pacedLatency(
      pacedStats(),
      new Map([
        ['a', 1_002],
        ['b', 1_020],
      ]),
      'http substrate',
    );
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([
      'run,scheduled_at_epoch_ms,send_to_done_ms,http_ms',
      'engine,1000,4,3.25',
      'engine,1005,,12.50',
      'engine,1010,failed,40.00',
      'http substrate,1000,2,3.25',
      'http substrate,1005,15,12.50',
      'http substrate,1010,failed,40.00',
      '',
    ]);
  });
});
