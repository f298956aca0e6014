import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CaseState } from '@fr/domain';
import { ADVISORY_LOCK, carryMergedDuplicates, relinkDuplicatesOf, selectRow, selectRows, writeAuditEvents } from '@fr/persistence';
import { SubjectRequests } from '@fr/privacy';
import { Clock } from '@fr/sla';
import { closeMergedDuplicates } from './actions/duplicates';
import { SYSTEM_ACTOR } from './actor';

const ACTOR = SYSTEM_ACTOR('merged-groups');
/** Originals put right per transaction. */
const BATCH = 100;
/**
 * How often the maintenance sweep looks (and at each worker's start). Finding nothing means reading
 * every linked case: 426 ms at 1,000,000 cases of which 200,000 linked and 20,000 merged (EXPLAIN
 * ANALYZE on a scratch database, 2026-12-04), too much for the 30 s sweep. Every path that moves or
 * closes an original keeps its group together already; this is for older data and a safety net.
 */
const EVERY_MS = 6 * 3600_000;
/** Passes per look: 10,000 originals, more than an upgrade leaves behind. */
const MAX_PASSES = 100;

interface OriginalRow {
  id: string;
  status: CaseState;
  tracking_code: string;
  duplicate_of: string | null;
  closed_as: string | null;
  answer: string | null;
  resolution_attachments: unknown[] | null;
  where_to_go: string | null;
}

/**
 * Every path that moves or closes an original carries its merged duplicates with it (actions,
 * designations, reorganisations). Groups that drifted apart before that (a database from an earlier
 * release: an original moved, redirected to another track or itself merged after its duplicates
 * joined it) are put right here, on the maintenance sweep: duplicates of an open original follow it,
 * those of an answered or closed one close the way it did, and those of an original that is itself
 * merged are linked one level up (the next pass carries them). Each change is audited and each
 * citizen-visible closing announced, as when an officer's action does it; a deletion request waiting
 * for a duplicate is carried out as it closes. One worker sweeps at a time (advisory lock).
 */
@Injectable()
export class MergedGroupsReconciler {
  private readonly logger = new Logger(MergedGroupsReconciler.name);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly subjectRequests: SubjectRequests,
  ) {}

  private lastLookAt: number | null = null;
  private linkedUp = false;

  /** For the maintenance sweep: at start, then every EVERY_MS, as many passes as there are groups to mend. */
  async runIfDue(now = Date.now()): Promise<number | null> {
    if (this.lastLookAt !== null && now - this.lastLookAt < EVERY_MS) return null;
    let mended = 0;
    try {
      // Bounded: a group this cannot mend would otherwise be found again by every pass.
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        this.linkedUp = false;
        const n = await this.runOnce();
        if (n === null) return mended || null; // another worker is at it: look again at the next tick
        mended += n;
        // Duplicates linked one level up are carried or closed with their new original by the next pass.
        if (n < BATCH && !this.linkedUp) break;
      }
    } catch (e) {
      // Not every 30 s tick: a pass that fails reads every linked case too. The next look is due as usual.
      this.lastLookAt = now;
      throw e;
    }
    this.lastLookAt = now;
    return mended;
  }

  /** One pass; returns how many originals it put right (null if another worker held the lock). */
  async runOnce(): Promise<number | null> {
    return this.ds.transaction(async (m) => {
      const lock = await selectRow<{ locked: boolean }>(m, `SELECT pg_try_advisory_xact_lock($1) AS locked`, [ADVISORY_LOCK.mergedGroups]);
      if (!lock?.locked) return null;
      // Through cases_duplicate_of_idx: linked cases only, not the table.
      // Originals that are not themselves merged first: an action on a group locks its original before
      // the duplicates (one of which may be an original here), and so does this pass.
      const drifted = await selectRows<{ id: string }>(
        m,
        `SELECT DISTINCT o.id, o.status = 'merged' FROM cases d JOIN cases o ON o.id = d.duplicate_of
          WHERE d.duplicate_of IS NOT NULL AND d.status = 'merged' AND d.id <> o.id AND o.duplicate_of IS DISTINCT FROM o.id
            AND (o.status IN ('resolved', 'closed') OR (o.status = 'merged' AND o.duplicate_of IS NOT NULL AND o.duplicate_of <> o.id)
                 OR d.unit_code IS DISTINCT FROM o.unit_code OR d.handler_id IS DISTINCT FROM o.handler_id OR d.leader_id IS DISTINCT FROM o.leader_id)
          ORDER BY o.status = 'merged', o.id LIMIT $1`,
        [BATCH],
      );
      const now = this.clock.now();
      for (const { id } of drifted) {
        // Locked as an action on it would lock it: the original first, then its duplicates.
        const o = await selectRow<OriginalRow>(
          m,
          `SELECT id, status, tracking_code, duplicate_of::text, closed_as, answer, resolution_attachments, where_to_go FROM cases WHERE id = $1 FOR UPDATE`,
          [id],
        );
        if (!o) continue;
        if (o.status === 'merged') {
          if (o.duplicate_of && o.duplicate_of !== o.id) await this.linkUp(m, o);
        } else if (o.status === 'closed' && o.closed_as === 'other_track') {
          await this.closed(m, await closeMergedDuplicates(m, ACTOR, o.id, { closedAs: 'other_track', whereToGo: o.where_to_go ?? '' }, now));
        } else if (o.status === 'resolved' || o.status === 'closed') {
          const closing = { closedAs: 'duplicate' as const, answer: o.answer ?? '', attachments: o.resolution_attachments ?? [] };
          await this.closed(m, await closeMergedDuplicates(m, ACTOR, o.id, closing, now));
        } else await carryMergedDuplicates(m, [o.id], ACTOR.label, now);
      }
      if (drifted.length) this.logger.warn(`put ${drifted.length} merged group(s) back together`);
      return drifted.length;
    });
  }

  private async closed(m: EntityManager, ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.subjectRequests.onCaseClosed(m, id);
  }

  /** The merged duplicates of a case that is itself merged join its original, as `merge` now does. */
  private async linkUp(m: EntityManager, o: OriginalRow): Promise<void> {
    // Two cases merged into each other (never made by the API): left alone, rather than bounced each pass.
    const upper = await selectRow<{ duplicate_of: string | null }>(m, `SELECT duplicate_of::text FROM cases WHERE id = $1`, [o.duplicate_of]);
    if (upper?.duplicate_of === o.id) {
      this.logger.warn(`cases ${o.id} and ${o.duplicate_of} are merged into each other; left for a person`);
      return;
    }
    const moved = await relinkDuplicatesOf(m, [o.id], o.duplicate_of!, { mergedOnly: true });
    await writeAuditEvents(
      m,
      moved.map((r) => ({
        caseId: r.id,
        actor: ACTOR.label,
        action: 'relink',
        fromState: 'merged',
        toState: 'merged',
        reason: `its original ${o.tracking_code} joined another`,
        data: { originalId: o.duplicate_of, fromOriginalId: o.id },
      })),
    );
    if (moved.length) this.linkedUp = true;
  }
}
