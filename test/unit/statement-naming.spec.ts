import { Logger } from '@nestjs/common';
import { StatementNaming } from '../../lib/store/statement-naming.js';

Logger.overrideLogger(false);

const withCode = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('StatementNaming', () => {
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
