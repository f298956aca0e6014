import { InitialSchema1764400000000 } from './1764400000000-InitialSchema';

/** Every migration, in order; listed explicitly so the compiled app needs no glob. */
export const MIGRATIONS = [InitialSchema1764400000000];
