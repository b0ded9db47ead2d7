import '../support/cjs-interop.js';
import { jest } from '@jest/globals';
import { IdempotencyConfigurationError } from '../../lib/index.js';
import { TransactionBridge } from '../../lib/transaction/transaction-bridge.js';

// The transactional mode's optional peers, missing: the app fails at start-up (assertAvailable),
// saying what to install or register, with the loader's error as the cause.
describe('TransactionBridge.assertAvailable()', () => {
  it('names the ClsModule set-up when the plugin is installed but not registered', async () => {
    const error = await new TransactionBridge().assertAvailable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConfigurationError);
    expect((error as Error).message).toMatch(
      /^The transactional mode of @Idempotent needs ClsModule\.forRoot\(\{ plugins: \[new ClsPluginTransactional\(\{ adapter: new TransactionalAdapterTypeOrm\(\.\.\.\) \}\)\] \}\) \(.+\)\.$/,
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  // Last: the mock stays for the rest of the file.
  it('names the three packages when @nestjs-cls/transactional is not installed', async () => {
    const missing = new Error("Cannot find package '@nestjs-cls/transactional'");
    jest.unstable_mockModule('@nestjs-cls/transactional', () => {
      throw missing;
    });
    const error = await new TransactionBridge().assertAvailable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConfigurationError);
    expect((error as Error).message).toBe(
      'The transactional mode of @Idempotent needs "nestjs-cls", "@nestjs-cls/transactional" and "@nestjs-cls/transactional-adapter-typeorm": npm install them and register ClsModule with ClsPluginTransactional.',
    );
    expect((error as Error).cause).toBe(missing);
  });
});
