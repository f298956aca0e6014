/**
 * Keys of the PostgreSQL advisory locks the engine takes, in one place so two features never pick
 * the same number.
 */
export const ADVISORY_LOCK = {
  /** Migrations and the first load of config/. */
  bootstrap: 727_001,
  routingReconcile: 727_002,
  slaReconcile: 727_003,
  deliveriesReconcile: 727_004,
  auditCheckpoint: 727_005,
  /** Held for as long as a process is the audit trail's one sealer. */
  auditSealer: 727_006,
  /** The compliance board's alert sweep (numbers from 727_150 on are the board's). */
  complianceAlerts: 727_150,
} as const;
