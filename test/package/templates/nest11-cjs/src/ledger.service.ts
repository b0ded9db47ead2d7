import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

@Injectable()
export class LedgerService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async credit(ref: string, amount: number): Promise<void> {
    await this.txHost.tx.query('INSERT INTO ledger (ref, amount) VALUES ($1, $2)', [ref, amount]);
  }
}
