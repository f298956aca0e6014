import { EntityManager } from 'typeorm';
import { AreaSuccessor, endingUnits, evaluatePlan, OrganisationSnapshot, PlanEvaluation, ReorganisationPlan, TO_WARD } from '@fr/domain';
import {
  carryMergedDuplicates,
  casesLockOrder,
  coversAt,
  execute,
  moveCasesToUnits,
  selectRow,
  selectRows,
  Sql,
  writeAuditEvent,
  writeNotifications,
} from '@fr/persistence';

/** Cases a reorganisation carries to the successors: every one not closed (a resolved case may reopen at its unit). */
const CARRIED_STATES = ['triage', 'assigned', 'in_progress', 'awaiting_info', 'resolved'];
export const REORGANISATION_REASON = 'reorganisation';
export const REORGANISER_ACTOR = 'system:reorganisation';

/** The organisation and its open cases, as a plan is evaluated against them. */
export async function readOrganisationSnapshot(db: Sql): Promise<OrganisationSnapshot> {
  const units = await selectRows<{
    code: string;
    kind: OrganisationSnapshot['units'][number]['kind'];
    active: boolean;
    handler_id: string | null;
    leader_id: string | null;
  }>(db, `SELECT code, kind, active, handler_id, leader_id FROM units ORDER BY code`);
  const areas = await selectRows<{ code: string; unit_code: string; active: boolean; name: string; match: string[] }>(
    db,
    `SELECT code, unit_code, active, name, match FROM areas ORDER BY code`,
  );
  const rules = await selectRows<{ id: string; unit_code: string | null }>(db, `SELECT id, unit_code FROM routing_rules WHERE active ORDER BY position`);
  const triage = await selectRow<{ value: string }>(db, `SELECT value FROM system_state WHERE key = 'triage_unit'`);
  const cases = await selectRows<{ id: string; tracking_code: string; unit_code: string; status: string; address: string | null }>(
    db,
    `SELECT id, tracking_code, unit_code, status, address FROM cases WHERE status = ANY($1) AND unit_code IS NOT NULL ORDER BY received_at, id`,
    [CARRIED_STATES],
  );
  return {
    units: units.map((u) => ({ code: u.code, kind: u.kind, active: u.active, handlerId: u.handler_id, leaderId: u.leader_id })),
    areas: areas.map((a) => ({ code: a.code, unitCode: a.unit_code, active: a.active, name: a.name, match: a.match })),
    rules: rules.map((r) => ({ id: r.id, unit: r.unit_code })),
    triageUnit: triage?.value ?? '',
    openCases: cases.map((c) => ({ id: c.id, trackingCode: c.tracking_code, unitCode: c.unit_code, status: c.status, address: c.address })),
  };
}

export async function dryRunPlan(db: Sql, plan: ReorganisationPlan): Promise<PlanEvaluation> {
  const ev = evaluatePlan(plan, await readOrganisationSnapshot(db));
  return {
    ...ev,
    unresolved: [...ev.unresolved, ...(await takenUsernames(db, plan)), ...(await endedBeforeBegun(db, plan)), ...(await endedBeforeSucceeding(db, plan))],
  };
}

/**
 * A plan dated before a unit it ends took the work of a unit an applied reorganisation ended: the
 * lineage would have the work go to a unit already gone (a predecessor's cases moved into it after its
 * end), and its report would count cases received after its end. A plan entered late is dated when it
 * took effect, but not before the unit's last succession.
 */
async function endedBeforeSucceeding(db: Sql, plan: ReorganisationPlan): Promise<string[]> {
  const codes = [...new Set(endingUnits(plan).map((e) => e.unit))];
  if (codes.length === 0) return [];
  const rows = await selectRows<{ code: string; predecessor: string; ended: Date }>(
    db,
    `SELECT s.code, p.code AS predecessor, p.valid_to AS ended
       FROM units p CROSS JOIN LATERAL unnest(p.successors) AS s(code)
      WHERE s.code = ANY($1::text[]) AND p.valid_to > $2 ORDER BY s.code, p.valid_to, p.code`,
    [codes, new Date(plan.effectiveAt)],
  );
  return rows.map(
    (r) =>
      `unit '${r.code}' took the work of '${r.predecessor}' at ${new Date(r.ended).toISOString()}, after the plan's effectiveAt ${plan.effectiveAt}: a plan cannot end a unit before a reorganisation already applied made it a successor`,
  );
}

/**
 * A plan dated before a unit it ends or renames began (a plan entered late is dated when it took
 * effect, but not earlier than that): applied, the unit would end before its start, and no instant,
 * past or present, would list it, while its cases and reports name it.
 */
async function endedBeforeBegun(db: Sql, plan: ReorganisationPlan): Promise<string[]> {
  const codes = [...new Set([...endingUnits(plan).map((e) => e.unit), ...plan.renames.map((r) => r.unit)])];
  if (codes.length === 0) return [];
  const rows = await selectRows<{ code: string; valid_from: Date }>(
    db,
    `SELECT code, valid_from FROM units WHERE code = ANY($1::text[]) AND valid_from >= $2 ORDER BY code`,
    [codes, new Date(plan.effectiveAt)],
  );
  return rows.map(
    (u) =>
      `unit '${u.code}' began at ${new Date(u.valid_from).toISOString()}, not before the plan's effectiveAt ${plan.effectiveAt}: a plan cannot end or rename a unit before it began`,
  );
}

/** A new unit's focal point is a new account: a username already in use would leave the unit without it. */
async function takenUsernames(db: Sql, plan: ReorganisationPlan): Promise<string[]> {
  const wanted = plan.newUnits.flatMap((u) => [u.handler, u.leader]).flatMap((d) => (d ? [d.username.toLowerCase()] : []));
  const twice = wanted.filter((u, i) => wanted.indexOf(u) !== i);
  const taken = wanted.length
    ? await selectRows<{ username: string }>(db, `SELECT username FROM officers WHERE lower(username) = ANY($1::text[]) ORDER BY username`, [wanted])
    : [];
  return [
    ...[...new Set(twice)].map((u) => `username '${u}' is named for more than one new focal point`),
    ...taken.map((o) => `username '${o.username}' is already an officer's: name another focal point`),
  ];
}

/**
 * Applies a plan in the caller's transaction, against the organisation as it stands now (evaluated
 * again here: a designation may have changed since the dry run). Returns the evaluation; when it
 * leaves anything unresolved nothing is written.
 */
export async function applyPlan(m: EntityManager, plan: ReorganisationPlan, reorganisationId: string, now: Date): Promise<PlanEvaluation> {
  // The open cases of the units that end are locked before the plan reads them: read first, a case an
  // officer returned to triage (or transferred) in the meantime was then moved from a unit it had left,
  // over the officer's change, to a ward holding it in triage. Actions lock the case first, so none
  // moves one of these until the plan commits, and the evaluation below sees each where it is.
  // Before them, the units: a transfer, an assignment or routing that gives a case to one of them holds
  // its row shared until it commits, so its case is among those locked next; one that comes later finds
  // the unit ended. A transfer that committed after the plan read its cases was left in an ended unit.
  // Actions that give a case to a unit (assign, transfer, return to the triage unit) lock that unit before
  // the case, in this order (the handler's takesUnit, lockUnitTakingCase): locking the case first, a
  // transfer between two units that both end waited for its target unit while the plan held it and waited
  // for the case, and PostgreSQL undid one of them (a 503, or a plan left for the next sweep).
  const ending = endingUnits(plan).map((e) => e.unit);
  await selectRows(m, `SELECT code FROM units WHERE code = ANY($1::text[]) ORDER BY code FOR NO KEY UPDATE`, [ending]);
  await selectRows(m, `SELECT id FROM cases WHERE unit_code = ANY($1::text[]) AND status = ANY($2) ORDER BY ${casesLockOrder()} FOR UPDATE`, [
    ending,
    CARRIED_STATES,
  ]);
  const ev = await dryRunPlan(m, plan);
  if (ev.unresolved.length) return ev;
  const effective = new Date(plan.effectiveAt);
  await insertNewUnits(m, plan, effective);
  await renameUnits(m, plan);
  await endUnits(m, plan, ev, effective);
  for (const r of ev.rules) {
    if (r.to === TO_WARD) await execute(m, `UPDATE routing_rules SET unit_code = NULL, to_ward = true WHERE id = $1`, [r.id]);
    else if (r.to) await execute(m, `UPDATE routing_rules SET unit_code = $2, to_ward = false WHERE id = $1`, [r.id, r.to]);
  }
  // Units that end are told of no case any more.
  await execute(m, `UPDATE routing_rules SET inform = ARRAY(SELECT x FROM unnest(inform) x WHERE x <> ALL($1::text[])) WHERE inform && $1::text[]`, [
    ev.ending.map((e) => e.unit),
  ]);
  await execute(m, `UPDATE system_state SET value = $1 WHERE key = 'triage_unit'`, [JSON.stringify(ev.triageUnit)]);
  await moveCases(m, plan, ev, reorganisationId, now);
  await writeAuditEvent(m, {
    caseId: null,
    actor: REORGANISER_ACTOR,
    action: 'reorganisation_applied',
    data: { reorganisationId, name: plan.name, effectiveAt: plan.effectiveAt, movedCases: ev.moves.length, endedUnits: ev.ending.map((e) => e.unit) },
  });
  return ev;
}

async function insertNewUnits(m: EntityManager, plan: ReorganisationPlan, effective: Date): Promise<void> {
  for (const u of plan.newUnits) {
    await execute(m, `INSERT INTO units (code, name, kind, valid_from, aliases) VALUES ($1, $2, $3, $4, $5)`, [u.code, u.name, u.kind, effective, u.aliases]);
    for (const [d, role] of [
      [u.handler, 'HANDLER'],
      [u.leader, 'LEADER'],
    ] as const) {
      if (!d) continue;
      // Seeded officers have no password until the office gives them one (as config/ seeds them).
      await execute(m, `INSERT INTO officers (username, full_name, role, unit_code) VALUES ($1, $2, $3, $4)`, [d.username, d.fullName, role, u.code]);
    }
    await execute(
      m,
      `UPDATE units SET handler_id = (SELECT id FROM officers WHERE lower(username) = lower($2)),
                        leader_id = (SELECT id FROM officers WHERE lower(username) = lower($3))
        WHERE code = $1`,
      [u.code, u.handler?.username ?? null, u.leader?.username ?? null],
    );
    if (u.area) {
      await execute(m, `INSERT INTO areas (code, name, unit_code, match, streets, valid_from) VALUES ($1, $2, $3, $4, $5, $6)`, [
        u.area.code,
        u.area.name,
        u.code,
        u.area.match.length ? u.area.match : [...new Set([u.name, ...u.aliases])],
        u.area.streets,
        effective,
      ]);
    }
  }
}

/** A renamed unit keeps its old name as an alias, and its area keeps recognising the old name. */
async function renameUnits(m: EntityManager, plan: ReorganisationPlan): Promise<void> {
  for (const r of plan.renames) {
    await execute(
      m,
      `UPDATE units SET aliases = ARRAY(SELECT DISTINCT x FROM unnest(aliases || name || $3::text[]) x WHERE x <> $2 ORDER BY x), name = $2, updated_at = now() WHERE code = $1`,
      [r.unit, r.name, r.aliases],
    );
    await execute(m, `UPDATE areas SET match = ARRAY(SELECT DISTINCT x FROM unnest(match || $2::text[]) x ORDER BY x) WHERE unit_code = $1 AND active`, [
      r.unit,
      [r.name, ...r.aliases],
    ]);
  }
}

/** The area addresses of a unit now belong to: a new unit's, else its active one. */
async function areaOf(m: EntityManager, plan: ReorganisationPlan, unit: string): Promise<string | null> {
  const fresh = plan.newUnits.find((u) => u.code === unit);
  if (fresh) return fresh.area?.code ?? null;
  const row = await selectRow<{ code: string }>(m, `SELECT code FROM areas WHERE unit_code = $1 AND active ORDER BY code LIMIT 1`, [unit]);
  return row?.code ?? null;
}

async function endUnits(m: EntityManager, plan: ReorganisationPlan, ev: PlanEvaluation, effective: Date): Promise<void> {
  for (const e of ev.ending) {
    const parts =
      e.how === 'split'
        ? (() => {
            const s = plan.splits.find((x) => x.unit === e.unit)!;
            return [...s.into, ...(s.fallback ? [{ unit: s.fallback, streets: [], patterns: [] }] : [])];
          })()
        : e.successors.map((unit) => ({ unit, streets: [] as string[], patterns: [] as string[] }));
    const successors: AreaSuccessor[] = [];
    for (const p of parts) {
      const area = await areaOf(m, plan, p.unit);
      if (area) successors.push({ area, streets: p.streets, patterns: p.patterns });
    }
    await execute(m, `UPDATE units SET active = false, valid_to = $2, successors = $3, updated_at = now() WHERE code = $1`, [e.unit, effective, e.successors]);
    await execute(m, `UPDATE areas SET active = false, valid_to = $2, successors = $3 WHERE unit_code = $1 AND active`, [
      e.unit,
      effective,
      JSON.stringify(successors),
    ]);
  }
}

/**
 * Each open case to its successor with the successor's designees; deadline, stage and pauses stay
 * as they were (the SLA timers, keyed by the stage run and deadline, stay valid and tell whoever
 * holds the case when they fire). The move is an assignment of its own reason, not a transfer:
 * reports do not count it as misrouting. The new handler is told in the inbox.
 */
async function moveCases(m: EntityManager, plan: ReorganisationPlan, ev: PlanEvaluation, reorganisationId: string, now: Date): Promise<void> {
  const moves = ev.moves.filter((x) => x.to !== null);
  if (!moves.length) return;
  const areas = new Map<string, string | null>();
  for (const to of new Set(moves.map((x) => x.to!))) areas.set(to, await areaOf(m, plan, to));
  const moved = await moveCasesToUnits(
    m,
    moves.map((x) => ({ caseId: x.caseId, toUnit: x.to!, toArea: areas.get(x.to!) ?? null })),
    REORGANISATION_REASON,
    now,
  );
  const byId = new Map(moves.map((x) => [x.caseId, x]));
  // A successor's handler who is away has the cover doing their work, as escalations and duplicate
  // notices tell the cover: the notice of the cases that just arrived goes where the queue is read.
  const covers = await coversAt(
    m,
    moved.flatMap((c) => (c.handler_id ? [c.handler_id] : [])),
    now,
  );
  for (const c of moved) {
    const mv = byId.get(c.id)!;
    await writeAuditEvent(m, {
      caseId: c.id,
      actor: REORGANISER_ACTOR,
      action: 'reorganise',
      fromState: c.status,
      toState: c.status,
      reason: `reorganisation '${plan.name}': ${mv.from} -> ${mv.to}`,
      data: { reorganisationId, fromUnit: mv.from, toUnit: mv.to, why: mv.why, handlerId: c.handler_id, leaderId: c.leader_id, dueAt: c.due_at },
    });
    if (c.handler_id) {
      await writeNotifications(m, { kind: 'reorganisation', caseId: c.id }, [
        {
          officerId: covers.get(c.handler_id.toLowerCase()) ?? c.handler_id,
          kind: 'reorganisation',
          title: `Hồ sơ ${c.tracking_code} chuyển đến đơn vị mới`,
          body: `Theo sắp xếp "${plan.name}", hồ sơ ${c.tracking_code} của ${mv.from} nay do ${mv.to} xử lý; thời hạn giữ nguyên.`,
        },
      ]);
    }
  }
  // The duplicates merged into a moved case go with it (they are not open, so the plan does not list them).
  await carryMergedDuplicates(
    m,
    moved.map((c) => c.id),
    REORGANISER_ACTOR,
    now,
    { withArea: true },
  );
}
