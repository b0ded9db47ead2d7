import { HttpStatus, Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { sqlState } from '../database/database-errors.js';
import { queryRows } from '../database/query-rows.js';
import { isStorableText } from '../database/storable-text.js';
import { FaultInjector } from '../faults/fault-injector.service.js';
import { problem, ProblemException } from '../http/problem.exception.js';
import type { AdjustmentRequest } from './adjustment.validator.js';

/** The answer to `POST /economy/adjust`. */
export interface Adjustment {
  adjustment_id: string;
  user_id: string;
  delta: number;
  balance: number;
}

// One atomic statement: creates the balance on first use, or adds to it under its row lock.
const CHANGE_BALANCE_SQL = `
INSERT INTO balances (tenant_id, user_id, balance) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, user_id) DO UPDATE
  SET balance = balances.balance + EXCLUDED.balance, updated_at = now()
RETURNING balance`;

const CHECK_VIOLATION = '23514';

/**
 * Balances per tenant and user. Every write goes through the `TransactionHost`: under an
 * idempotent request it joins the transaction in which the library completes the key, so the
 * balance change and the stored response commit together or not at all. Money moves once.
 */
@Injectable()
export class EconomyService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly faults: FaultInjector,
  ) {}

  async adjust(tenantId: string, input: AdjustmentRequest): Promise<Adjustment> {
    await this.faults.beforeWrite();
    const balance = await this.changeBalance(tenantId, input.user_id, input.delta);
    this.faults.afterWrite();
    const [row] = await queryRows<{ id: string }>(
      this.txHost.tx,
      `INSERT INTO adjustments (tenant_id, user_id, delta, reason, balance_after)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [tenantId, input.user_id, input.delta, input.reason, balance],
    );
    return { adjustment_id: row.id, user_id: input.user_id, delta: input.delta, balance };
  }

  /**
   * Adds `amount` (negative to take away) to a user's balance; returns the new balance.
   * @throws ProblemException 422 `balance_out_of_range` when the balance would leave the range
   *   of exact JSON numbers
   */
  async changeBalance(tenantId: string, userId: string, amount: number): Promise<number> {
    try {
      const [row] = await queryRows<{ balance: string }>(this.txHost.tx, CHANGE_BALANCE_SQL, [
        tenantId,
        userId,
        amount,
      ]);
      return Number(row.balance);
    } catch (error) {
      if (sqlState(error) !== CHECK_VIOLATION) throw error;
      throw new ProblemException(
        problem(
          HttpStatus.UNPROCESSABLE_ENTITY,
          'balance_out_of_range',
          'Balance out of range',
          `The balance of "${userId}" would leave the range of exact JSON numbers (±${Number.MAX_SAFE_INTEGER}).`,
        ),
      );
    }
  }

  /** A user id the database cannot store (`%00` in the path) was never adjusted: 0. */
  async balance(tenantId: string, userId: string): Promise<{ user_id: string; balance: number }> {
    if (!isStorableText(userId)) return { user_id: userId, balance: 0 };
    const rows = await queryRows<{ balance: string }>(
      this.txHost.tx,
      'SELECT balance FROM balances WHERE tenant_id = $1 AND user_id = $2',
      [tenantId, userId],
    );
    return { user_id: userId, balance: rows.length === 0 ? 0 : Number(rows[0].balance) };
  }
}
