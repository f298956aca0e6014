// Engines boot a real API and worker against PostgreSQL and Redis: more than Jest's 5 s default.
jest.setTimeout(60_000);
