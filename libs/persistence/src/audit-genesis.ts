/**
 * What the first seal of the audit trail points back to: 32 zero bytes. The sealer, the verifier,
 * the checkpoint and the migrations that built the chain all start from it; changing it would break
 * every chain ever sealed, so it is defined once, here, for SQL and TypeScript alike.
 */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** GENESIS_HASH as a PostgreSQL bytea literal, for migrations. */
export const GENESIS_HASH_SQL = `'\\x${GENESIS_HASH.toString('hex')}'::bytea`;
