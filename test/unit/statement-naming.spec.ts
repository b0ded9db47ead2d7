import { StatementNaming } from '../../lib/store/statement-naming.js';
import { captureLogs } from '../support/log-capture.js';

const withCode = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('StatementNaming', () => {
  // First: the warning is once per process (module), and this file loads its own module.
  it('warns once per process, naming the statement and the SQLSTATE, however many fall back', () => {
    const logs = captureLogs();
    try {
      new StatementNaming(true).fallBackOn(withCode('42P05'), 'idempotency_claim');
      new StatementNaming(true).fallBackOn(withCode('26000'), 'idempotency_complete');
    } finally {
      logs.stop();
    }
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({ level: 'warn', context: 'Idempotency' });
    expect(logs.lines[0].text).toContain(
      'PostgreSQL answered the prepared statement "idempotency_claim" with SQLSTATE 42P05',
    );
  });

  it('names statements until the server loses one (26000, 42P05), then names none', () => {
    for (const code of ['26000', '42P05']) {
      const naming = new StatementNaming(true);
      expect(naming.nameOf('idempotency_claim')).toBe('idempotency_claim');
      expect(naming.fallBackOn(withCode(code), 'idempotency_claim')).toBe(true);
      expect(naming.nameOf('idempotency_claim')).toBeUndefined();
    }
  });

  it('keeps naming after any other error', () => {
    const naming = new StatementNaming(true);
    for (const error of [withCode('42P01'), withCode('57P01'), new Error('boom'), null, 'text']) {
      expect(naming.fallBackOn(error, 'idempotency_claim')).toBe(false);
    }
    expect(naming.nameOf('idempotency_claim')).toBe('idempotency_claim');
  });

  it('names nothing with preparedStatements: false', () => {
    expect(new StatementNaming(false).nameOf('idempotency_claim')).toBeUndefined();
  });
});
