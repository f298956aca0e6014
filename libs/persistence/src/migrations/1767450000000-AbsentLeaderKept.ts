import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routing and transfers keep an absent leader as the case's leader since 51388de; before, the cover was
 * written as the leader of the cases given to the unit during the absence, and stayed so: after the
 * absence the cover went on being told of them (the ladder addresses the case's leader while active and
 * of its unit) and the leader back never was. Those open cases go back to the unit's designated leader,
 * as a designation change moves them (a `designation` assignment and a `reassign` event; duplicates
 * merged into them follow through the merged-groups reconciler). Only cases whose current assignment
 * began inside an absence of that leader with that cover: a leader a supervisor chose stays. An absence
 * ended early (DELETE sets `cancelled_at` and leaves `ends_at` as recorded) was in force until then: a
 * leader back early is the common case, and its cases were given to the cover all the same.
 */
export class AbsentLeaderKept1767450000000 implements MigrationInterface {
  name = 'AbsentLeaderKept1767450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TEMPORARY TABLE absent_leader_kept AS
      SELECT c.id, c.status, c.unit_code, c.handler_id, c.leader_id AS cover_id, u.leader_id
        FROM cases c
        JOIN units u ON u.code = c.unit_code
        JOIN officers l ON l.id = u.leader_id AND l.active AND l.unit_code IS NOT DISTINCT FROM c.unit_code
        JOIN assignments a ON a.case_id = c.id AND a.ended_at IS NULL AND a.leader_id = c.leader_id
       WHERE c.status IN ('assigned', 'in_progress', 'awaiting_info') AND c.leader_id <> u.leader_id
         AND EXISTS (SELECT 1 FROM officer_absences ab
                      WHERE ab.officer_id = u.leader_id AND ab.cover_id = c.leader_id
                        AND ab.starts_at <= a.started_at AND a.started_at < LEAST(ab.ends_at, COALESCE(ab.cancelled_at, 'infinity')))`);
    await q.query(`
      UPDATE cases c SET leader_id = k.leader_id, version = c.version + 1, updated_at = now()
        FROM absent_leader_kept k WHERE c.id = k.id`);
    await q.query(`UPDATE assignments a SET ended_at = now() FROM absent_leader_kept k WHERE a.case_id = k.id AND a.ended_at IS NULL`);
    await q.query(`
      INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason)
      SELECT id, unit_code, handler_id, leader_id, 'designation' FROM absent_leader_kept ORDER BY id`);
    await q.query(`
      INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data)
      SELECT id, 'system:migration', 'reassign', status, status, 'absent leader kept',
             jsonb_build_object('fromHandlerId', handler_id, 'toHandlerId', handler_id, 'fromLeaderId', cover_id, 'toLeaderId', leader_id,
                                'reason', 'absent leader kept')
        FROM absent_leader_kept ORDER BY id`);
    await q.query(`DROP TABLE absent_leader_kept`);
  }

  async down(): Promise<void> {
    // The leaders given back are the designated ones: nothing to undo.
  }
}
