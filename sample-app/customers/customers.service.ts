import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { queryRows } from '../database/query-rows.js';
import { FaultInjector } from '../faults/fault-injector.service.js';
import { ProblemException } from '../http/problem.exception.js';
import { toCustomer, type Customer, type CustomerRow } from './customer.interface.js';
import type { NewCustomer } from './new-customer.validator.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = 'id, number, name, email, created_at, deleted_at';

// One statement: takes the tenant's next number from its counter row (created on first use)
// and inserts the customer with it. Under an idempotent request it runs in the request's
// transaction, so a rolled-back attempt leaves no gap in the numbers.
const CREATE_SQL = `
WITH counter AS (
  INSERT INTO customer_counters (tenant_id, last_number) VALUES ($1, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET last_number = customer_counters.last_number + 1
  RETURNING last_number
)
INSERT INTO customers (tenant_id, number, name, email)
SELECT $1, last_number, $2, $3 FROM counter
RETURNING ${COLUMNS}`;

/**
 * Customers of a tenant. Writes go through the `TransactionHost`, so they join the transaction
 * in which the library completes the idempotency key.
 */
@Injectable()
export class CustomersService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly faults: FaultInjector,
  ) {}

  async create(tenantId: string, input: NewCustomer): Promise<Customer> {
    await this.faults.beforeWrite();
    const [row] = await queryRows<CustomerRow>(this.txHost.tx, CREATE_SQL, [
      tenantId,
      input.name,
      input.email,
    ]);
    this.faults.afterWrite();
    return toCustomer(row);
  }

  async list(tenantId: string): Promise<{ data: Customer[]; total: number }> {
    const rows = await queryRows<CustomerRow>(
      this.txHost.tx,
      `SELECT ${COLUMNS} FROM customers WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY number`,
      [tenantId],
    );
    return { data: rows.map(toCustomer), total: rows.length };
  }

  /** @throws ProblemException `not_found` (also for another tenant's or a deleted customer) */
  async get(tenantId: string, id: string): Promise<Customer> {
    const rows = UUID.test(id)
      ? await queryRows<CustomerRow>(
          this.txHost.tx,
          `SELECT ${COLUMNS} FROM customers WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
          [id, tenantId],
        )
      : [];
    if (rows.length === 0) throw notFound(id);
    return toCustomer(rows[0]);
  }

  /**
   * Soft-deletes the customer and returns it with `deleted_at`. Deleting it again changes
   * nothing and returns the same body.
   * @throws ProblemException `not_found`
   */
  async delete(tenantId: string, id: string): Promise<Customer> {
    const rows = UUID.test(id)
      ? await queryRows<CustomerRow>(
          this.txHost.tx,
          `UPDATE customers SET deleted_at = COALESCE(deleted_at, now())
            WHERE id = $1 AND tenant_id = $2
        RETURNING ${COLUMNS}`,
          [id, tenantId],
        )
      : [];
    if (rows.length === 0) throw notFound(id);
    return toCustomer(rows[0]);
  }
}

function notFound(id: string): ProblemException {
  return ProblemException.notFound(`No customer with id "${id}".`);
}
