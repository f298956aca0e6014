import { VerifyThreads } from '@fr/audit';
import { loadConfig } from '@fr/config';
import { testDatabaseUrl, TEST_ROLES } from '@fr/testing';
import { unavailableDependency } from '../apps/api/src/common/infrastructure-errors';

/**
 * A verification of a long trail checks its segments in worker threads, each over its own connection.
 * A segment that PostgreSQL cuts or refuses (pg_terminate_backend mid-walk, a database refusing
 * connections) is an outage, and the API must answer it 503 with Retry-After like every other one: it
 * answered 500 "internal error", with a stack at error level, because the thread sent back the message
 * alone and the SQLSTATE that tells an outage from a bug was lost on the way.
 */
describe(VerifyThreads.name, () => {
  let sut: VerifyThreads;

  beforeAll(() => {
    // No such database: PostgreSQL refuses the segment's connection with SQLSTATE 3D000, as it
    // answers 57P01 to one it terminates; neither says "database" in words the filter could read.
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: testDatabaseUrl('fr_test_verify_threads_none', TEST_ROLES.app), FR_AUDIT_VERIFY_THREADS: '1' });
    sut = new VerifyThreads(config);
  });
  afterAll(() => sut.onModuleDestroy());

  it("a segment PostgreSQL refuses fails as the database's unavailability, not as an internal error", async () => {
    const failure = await sut.run([{ fromSeq: '1', toSeq: '10', watch: null }]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^verifying positions 1\.\.10: .*fr_test_verify_threads_none/);
    expect(unavailableDependency(failure)).toBe('database');
  });
});
