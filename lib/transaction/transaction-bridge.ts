import { Injectable } from '@nestjs/common';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';

interface TransactionHostLike {
  tx: unknown;
  withTransaction<R>(fn: () => Promise<R>): Promise<R>;
}

/**
 * The bridge to `@nestjs-cls/transactional` (TypeORM adapter): runs work in its transaction,
 * which the handler's services join through their `TransactionHost`. The package is loaded only
 * when the transactional mode is used, so it stays an optional peer.
 */
@Injectable()
export class TransactionBridge {
  private host?: TransactionHostLike;

  /**
   * Loads the plugin now, so that an app that uses the transactional mode without it fails at
   * start-up rather than on its first request.
   * @throws IdempotencyConfigurationError when the plugin is not installed or not registered
   */
  async assertAvailable(): Promise<void> {
    this.host ??= await loadTransactionHost();
  }

  /**
   * Runs `fn` in a new transaction and passes it the transaction's `EntityManager`.
   * @throws IdempotencyConfigurationError when the plugin is not installed or not registered
   */
  async run<T>(fn: (transaction: unknown) => Promise<T>): Promise<T> {
    const host = (this.host ??= await loadTransactionHost());
    return host.withTransaction(() => fn(host.tx));
  }
}

async function loadTransactionHost(): Promise<TransactionHostLike> {
  let transactional: typeof import('@nestjs-cls/transactional');
  try {
    transactional = await import('@nestjs-cls/transactional');
  } catch (error) {
    throw new IdempotencyConfigurationError(
      'The transactional mode of @Idempotent needs "nestjs-cls", "@nestjs-cls/transactional" and "@nestjs-cls/transactional-adapter-typeorm": npm install them and register ClsModule with ClsPluginTransactional.',
      { cause: error },
    );
  }
  try {
    return transactional.TransactionHost.getInstance() as unknown as TransactionHostLike;
  } catch (error) {
    throw new IdempotencyConfigurationError(
      `The transactional mode of @Idempotent needs ClsModule.forRoot({ plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm(...) })] }) (${(error as Error).message}).`,
      { cause: error },
    );
  }
}
