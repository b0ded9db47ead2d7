import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Idempotent } from '../idempotent.decorator.js';

type TransactionHostLike = {
  tx: unknown;
  withTransaction<R>(fn: () => Promise<R>): Promise<R>;
};

/**
 * Runs work in the transaction of `@nestjs-cls/transactional` (TypeORM adapter), which the
 * handler's services join through their `TransactionHost`. Loaded only when a route or a
 * `run()` call asks for the transactional mode, so that package stays optional.
 */
@Injectable()
export class TransactionRunner implements OnApplicationBootstrap {
  private host?: TransactionHostLike;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** A transactional route in an app without the transaction plugin fails start-up, not a request. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.hasTransactionalRoute()) this.host ??= await loadTransactionHost();
  }

  /**
   * Runs `fn` in a new transaction and passes it the transaction's `EntityManager`.
   * @throws Error when `@nestjs-cls/transactional` is not installed or not registered
   */
  async run<T>(fn: (transaction: unknown) => Promise<T>): Promise<T> {
    const host = this.host ?? (this.host = await loadTransactionHost());
    return host.withTransaction(() => fn(host.tx));
  }

  private hasTransactionalRoute(): boolean {
    return this.discovery.getControllers().some(({ metatype, instance }) => {
      if (!metatype || !instance) return false;
      if (this.reflector.get(Idempotent, metatype)?.transactional) return true;
      const prototype = Object.getPrototypeOf(instance) as object;
      return this.scanner
        .getAllMethodNames(prototype)
        .some(
          (name) =>
            this.reflector.get(Idempotent, (prototype as Record<string, () => void>)[name])
              ?.transactional,
        );
    });
  }
}

async function loadTransactionHost(): Promise<TransactionHostLike> {
  let transactional: typeof import('@nestjs-cls/transactional');
  try {
    transactional = await import('@nestjs-cls/transactional');
  } catch {
    throw new Error(
      'The transactional mode of @Idempotent needs "@nestjs-cls/transactional" and "@nestjs-cls/transactional-adapter-typeorm": npm install them and register ClsModule with ClsPluginTransactional.',
    );
  }
  try {
    return transactional.TransactionHost.getInstance() as unknown as TransactionHostLike;
  } catch (error) {
    new Logger('Idempotency').error((error as Error).message);
    throw new Error(
      'The transactional mode of @Idempotent needs ClsModule.forRoot({ plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm(...) })] }).',
    );
  }
}
