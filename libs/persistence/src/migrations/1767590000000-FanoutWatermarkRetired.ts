import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deliveries reconciler reads the events waiting for their fan-out from their frozen states
 * (case_event_states), no longer the sealed trail from a watermark: the watermark's row goes, so that
 * system_state shows no position nothing reads. Down leaves it absent, which the older code reads as 0:
 * its first sweep then walks the trail from the start once.
 */
export class FanoutWatermarkRetired1767590000000 implements MigrationInterface {
  name = 'FanoutWatermarkRetired1767590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM system_state WHERE key = 'case_event_fanout_seal_watermark'`);
  }

  async down(): Promise<void> {}
}
