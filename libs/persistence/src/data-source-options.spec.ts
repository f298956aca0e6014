import { dataSourceOptions } from './data-source-options';

const config = { databaseUrl: 'postgres://fr@127.0.0.1:5432/fr', dbPoolSize: 4 };
const optionsOf = (session: Parameters<typeof dataSourceOptions>[1]) => (dataSourceOptions(config, session).extra as { options?: string }).options;

describe('dataSourceOptions', () => {
  it("sets the sessions' lock and idle-in-transaction timeouts as the pool opens them", () => {
    expect(optionsOf({ lockTimeoutMs: 5000, idleInTransactionTimeoutMs: 30000 })).toBe('-c lock_timeout=5000 -c idle_in_transaction_session_timeout=30000');
    expect(optionsOf({ idleInTransactionTimeoutMs: 1500 })).toBe('-c idle_in_transaction_session_timeout=1500');
    expect(optionsOf({ lockTimeoutMs: 5000 })).toBe('-c lock_timeout=5000');
  });

  it("turns the sessions' JIT compilation off when asked, and leaves the server's setting otherwise", () => {
    expect(optionsOf({ lockTimeoutMs: 5000, idleInTransactionTimeoutMs: 30000, jit: false })).toBe(
      '-c lock_timeout=5000 -c idle_in_transaction_session_timeout=30000 -c jit=off',
    );
    expect(optionsOf({ jit: true })).toBeUndefined();
  });

  it('leaves the server default (none) when the timeout is 0 or unset, as for migrations', () => {
    expect(optionsOf({ idleInTransactionTimeoutMs: 0 })).toBeUndefined();
    expect(optionsOf({})).toBeUndefined();
  });
});
