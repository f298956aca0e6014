import { EntityManager } from 'typeorm';
import { CaseState, transition } from '@fr/domain';
import {
  DuplicateCandidateRow,
  DuplicateNotificationInput,
  findDuplicateCandidates,
  linkCaseToOriginal,
  selectRow,
  writeAuditEvents,
  writeDuplicateNotifications,
} from '@fr/persistence';

export const DUPLICATE_LINKER_ACTOR = 'system:duplicates';

export interface LinkableCase {
  id: string;
  tracking_code: string;
  category_code: string;
  /** The area routing placed it in: addresses are compared within one. */
  area_code: string | null;
  address_key: string | null;
  lat: number | null;
  lng: number | null;
  received_at: Date;
  /** The state routing just gave it. */
  status: CaseState;
  /**
   * Its likely original (null: none) when routing already searched for it; undefined to search here.
   * The search waits for the batch's write when the candidate may be a case of the batch.
   */
  candidate?: DuplicateCandidate | null;
}

/** What linking reads of a likely original (a DuplicateCandidateRow's columns). */
export type DuplicateCandidate = Pick<DuplicateCandidateRow, 'id' | 'tracking_code' | 'status' | 'handler_id' | 'distance_m'>;

export interface DuplicateRules {
  radiusM: number;
  windowDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Links each just-routed case to the likely original of its problem, if there is one, in the routing
 * transaction: intake never refuses a citizen, the case is kept and routed like any other, and the
 * original's handler is told so they can merge the group or unlink a false match. Cases are taken
 * oldest first, so within one batch a later report finds the earlier one as its original.
 */
export async function linkDuplicates(m: EntityManager, cases: readonly LinkableCase[], rules: DuplicateRules, at: Date = new Date()): Promise<number> {
  const ordered = [...cases].sort((a, b) => a.received_at.getTime() - b.received_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const links: { c: LinkableCase; original: { id: string; tracking_code: string; handler_id: string | null }; distanceM: number | null }[] = [];
  const relinked: {
    id: string;
    trackingCode: string;
    status: CaseState;
    from: string;
    group: { id: string; tracking_code: string; handler_id: string | null };
  }[] = [];
  for (const c of ordered) {
    const point = c.lat !== null && c.lng !== null ? { lat: c.lat, lng: c.lng } : null;
    if (!point && !c.address_key) continue;
    const original =
      c.candidate !== undefined
        ? c.candidate
        : (
            await findDuplicateCandidates(m, {
              category: c.category_code,
              point,
              radiusM: rules.radiusM,
              addressKey: c.address_key,
              areaCode: c.area_code,
              since: new Date(new Date(c.received_at).getTime() - rules.windowDays * DAY_MS),
              before: { id: c.id },
              limit: 1,
            })
          )[0];
    if (!original) continue;
    let group = { id: original.id, tracking_code: original.tracking_code, handler_id: original.handler_id };
    if (original.handler_id === null && original.status === 'received') {
      // The original is being routed by another transaction right now (a second batch or worker):
      // wait for it and read the handler it was given, or its handler would never be told. That
      // routing may have linked it to an older case: then the group's original is that one.
      const fresh = await selectRow<{ handler_id: string | null; duplicate_of: string | null }>(
        m,
        `SELECT handler_id::text, duplicate_of::text FROM cases WHERE id = $1 FOR SHARE`,
        [original.id],
      );
      // Share-locked and still open, as the search would have chosen it; otherwise the candidate stays.
      const root = fresh?.duplicate_of
        ? await selectRow<typeof group>(
            m,
            `SELECT id::text, tracking_code, handler_id::text FROM cases WHERE id = $1 AND status NOT IN ('resolved', 'merged', 'closed') FOR SHARE`,
            [fresh.duplicate_of],
          )
        : undefined;
      group = root ?? { ...group, handler_id: fresh?.handler_id ?? null };
    }
    // Reports linked to this case while it waited unrouted (it was the oldest open case then) join
    // its original too: a group has one original, which carries and closes it (actions/duplicates.ts).
    const children = await linkCaseToOriginal(m, c.id, group.id);
    links.push({ c, original: group, distanceM: original.distance_m === null ? null : Math.round(original.distance_m) });
    for (const child of children) {
      relinked.push({ id: child.id, trackingCode: child.tracking_code, status: child.status as CaseState, from: c.id, group });
    }
  }
  if (links.length === 0) return 0;
  await writeAuditEvents(m, [
    ...links.map(({ c, original, distanceM }) => ({
      caseId: c.id,
      actor: DUPLICATE_LINKER_ACTOR,
      action: 'link',
      fromState: c.status,
      toState: transition(c.status, 'link', 'SYSTEM'),
      reason: `likely duplicate of ${original.tracking_code}`,
      data: { originalId: original.id, originalTrackingCode: original.tracking_code, distanceM },
    })),
    ...relinked.map((r) => ({
      caseId: r.id,
      actor: DUPLICATE_LINKER_ACTOR,
      action: 'relink',
      fromState: r.status,
      toState: r.status,
      reason: `its original joined ${r.group.tracking_code}`,
      data: { originalId: r.group.id, originalTrackingCode: r.group.tracking_code, fromOriginalId: r.from },
    })),
  ]);
  // The original's handler decides (merge or unlink); an original still in triage has none yet and
  // shows its linked cases to the office that assigns it. Reports that joined the group through a
  // case linked here: the group's handler is told of them too. All in one statement.
  const notices: DuplicateNotificationInput[] = [];
  for (const l of links) {
    if (l.original.handler_id === null) continue;
    const where = l.distanceM === null ? 'cùng địa chỉ' : `cách ${l.distanceM} m`;
    notices.push({
      caseId: l.original.id,
      officerId: l.original.handler_id,
      kind: 'duplicate',
      title: `Phản ánh trùng: ${l.c.tracking_code} có thể trùng ${l.original.tracking_code}`,
      body: `Phản ánh ${l.c.tracking_code} cùng lĩnh vực, ${where}, đã được liên kết với ${l.original.tracking_code}: hợp nhất (merge) hoặc bỏ liên kết (unlink).`,
    });
  }
  for (const r of relinked) {
    if (r.group.handler_id === null) continue;
    notices.push({
      caseId: r.group.id,
      officerId: r.group.handler_id,
      kind: 'duplicate',
      title: `Phản ánh trùng: ${r.trackingCode} có thể trùng ${r.group.tracking_code}`,
      body: `Phản ánh ${r.trackingCode} đã được liên kết với ${r.group.tracking_code} (cùng nhóm với một phản ánh trùng khác): hợp nhất (merge) hoặc bỏ liên kết (unlink).`,
    });
  }
  // A handler who is away is covered: the cover holds their cases now, and decides.
  await writeDuplicateNotifications(m, notices, at);
  return links.length;
}
