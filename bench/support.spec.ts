import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@fr/config';
import { scratchEngineEnv } from './support';

describe(scratchEngineEnv.name, () => {
  const scratch = 'postgres://postgres@127.0.0.1:5432/fr_bench_1';

  it("keeps a scratch run's engine off the deployment's databases named in the caller's environment", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fr-scratch-env-'));
    try {
      writeFileSync(path.join(dir, 'read-url'), 'postgres://reader:r@replica:5432/feedback_router\n');
      const deployment = {
        DATABASE_URL: 'postgres://fr_app:a@127.0.0.1:5432/feedback_router',
        DATABASE_OWNER_URL: 'postgres://fr_owner:o@127.0.0.1:5432/feedback_router',
        DATABASE_ADMIN_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        DATABASE_READ_URL_FILE: path.join(dir, 'read-url'),
        QUEUE_PREFIX: 'fr',
      };
      const sut = loadConfig({ ...scratchEngineEnv(deployment, scratch), QUEUE_PREFIX: 'frbench1' });
      expect(sut.databaseUrl).toBe(scratch);
      expect(sut.databaseOwnerUrl).toBe(scratch);
      expect(sut.databaseAdminUrl).toBeNull();
      expect(sut.databaseReadUrl).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes every other setting through', () => {
    expect(scratchEngineEnv({ FR_WORKER_CONCURRENCY: '4', REDIS_URL: 'redis://127.0.0.1:6379' }, scratch)).toEqual({
      FR_WORKER_CONCURRENCY: '4',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: scratch,
    });
  });
});
