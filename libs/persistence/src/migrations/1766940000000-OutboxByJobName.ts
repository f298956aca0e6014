import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox relay takes the rows it does itself (routing) apart from those it sends to BullMQ
 * (outbox-relay.service.ts, lanes). While Redis is down the second kind piles up (an SLA timer for
 * every routed case), and the routing lane's take, walking the key in order, would read past all of
 * them on every pass: 100,000 waiting timers, 100,000 rows a pass. By job name it reads its own rows
 * only (a scratch table of 100,000 timers and 5 routing rows: 9 blocks, 0.04 ms).
 */
export class OutboxByJobName1766940000000 implements MigrationInterface {
  name = 'OutboxByJobName1766940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_job_name_id_idx ON outbox (job_name, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_job_name_id_idx`);
  }
}
