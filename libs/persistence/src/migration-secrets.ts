/**
 * The deployment's secrets a migration needs to convert what is stored (a keyed hash made of a value held
 * in clear before): TypeORM builds migrations without arguments, so migrateDatabase lends them here while
 * it runs them, and takes them back after.
 */
export interface MigrationSecrets {
  /** FR_PRIVACY_KEY: the key of the privacy records' hashes (libs/privacy/src/contact-hash.ts). */
  privacyKey: string;
}

let lent: MigrationSecrets | null = null;

export async function withMigrationSecrets<T>(secrets: MigrationSecrets, run: () => Promise<T>): Promise<T> {
  const before = lent;
  lent = secrets;
  try {
    return await run();
  } finally {
    lent = before;
  }
}

/** The secrets lent by migrateDatabase; null when a migration runs otherwise (it then refuses what needs them). */
export function migrationSecrets(): MigrationSecrets | null {
  return lent;
}
