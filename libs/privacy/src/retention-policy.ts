import { RetentionPolicy } from '@fr/config';

/** The deployment's retention policy (config/retention.yaml), read once at boot. */
export const RETENTION_POLICY = Symbol('RETENTION_POLICY');
export type { RetentionPolicy };
