import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConflictException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { PoolClient } from 'pg';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import { CLAIM_SQL, COMPLETE_SQL } from '../support/store-sql.js';

type Request = IncomingMessage & {
  method: string;
  originalUrl: string;
  body?: unknown;
  route?: { path?: string };
};

/**
 * Experiment, not the library: the claim, the handler's writes and the completion in ONE
 * transaction (`BEGIN; claim; INSERT; complete; COMMIT`: 5 round trips, 1 commit), the claim
 * and completion sent as named statements, as the library sends its own. It models
 * only the first-execution path the bench drives (a key that exists answers 409), and skips the
 * library's canonical fingerprint and response recording, so its JavaScript cost is a lower
 * bound. A duplicate arriving while the claim is uncommitted would wait on the row lock; a
 * real implementation would bound that with `lock_timeout` and answer 409.
 */
@Injectable()
export class OneCommitIdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<ServerResponse>();
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') return next.handle();
    const scope = `|${request.method} ${request.route?.path ?? request.originalUrl}`;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.originalUrl} ${JSON.stringify(request.body ?? null)}`)
      .digest('base64url');
    return defer(() =>
      this.txHost.withTransaction(async () => {
        // The transaction's own pg connection, so the statements can go out named, as the
        // library sends its own.
        const connection = (
          this.txHost.tx.queryRunner as unknown as { databaseConnection: PoolClient }
        ).databaseConnection;
        const token = randomUUID();
        const { rows } = await connection.query<{ state: string }>({
          name: 'bench_one_commit_claim',
          text: CLAIM_SQL,
          values: [scope, key, fingerprint, token, 3600, 86_400],
        });
        if (rows[0]?.state !== 'claimed')
          throw new ConflictException(
            'idempotency key exists (experiment models first executions only)',
          );
        const value = await lastValueFrom(next.handle(), { defaultValue: undefined });
        const body = Buffer.from(JSON.stringify(value ?? null));
        const headers = JSON.stringify({ 'content-type': 'application/json; charset=utf-8' });
        await connection.query({
          name: 'bench_one_commit_complete',
          text: COMPLETE_SQL,
          values: [scope, key, token, response.statusCode, headers, body],
        });
        return value;
      }),
    );
  }
}
