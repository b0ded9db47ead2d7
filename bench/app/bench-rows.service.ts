import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { BenchRow } from './bench-row.entity.js';

/** The handlers' work: one INSERT, in the request's transaction when there is one. */
@Injectable()
export class BenchRowsService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async insert(name: string): Promise<{ id: number; name: string }> {
    const result = await this.txHost.tx.insert(BenchRow, { name });
    return { id: result.identifiers[0].id as number, name };
  }
}
