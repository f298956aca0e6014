import { usePasswordHashCostForTests } from '@fr/auth';

// Engines boot a real API and worker against PostgreSQL and Redis: more than Jest's 5 s default.
jest.setTimeout(60_000);

// Officers' passwords are hashed at a test cost (argon2id, 1 MiB, 1 pass, 1 lane: about 2 ms) instead
// of the real one (64 MiB, 3 passes, 4 lanes: 240 ms on the 2-core machine with nothing else running, and
// its 4 lanes contend with the other test file for the two cores). Every file makes dozens: the seeded
// administrator of each engine, each officer a test creates and their logins. The file that tests
// passwords themselves (auth: the hashes' format, an unknown user's login taking as long as a wrong
// password) sets the real cost back (PASSWORD_HASH_COST); login-limits counts attempts, not hashing time,
// and keeps the test cost. Processes a test spawns (engine-process, chaos) run at the real cost, as deployed.
usePasswordHashCostForTests({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
