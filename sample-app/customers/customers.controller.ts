import type { ServerResponse } from 'node:http';
import { Controller, Delete, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Idempotent } from '../../lib/index.js';
import { TenantId } from '../auth/tenant-id.decorator.js';
import { ValidBody } from '../http/valid-body.decorator.js';
import type { Customer } from './customer.interface.js';
import { CustomersService } from './customers.service.js';
import { validateNewCustomer, type NewCustomer } from './new-customer.validator.js';

@Controller('customers')
@ApiBearerAuth()
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  /** `201` with `Location`. An `Idempotency-Key` is optional; with one, a retry is replayed. */
  @Post()
  @Idempotent({ transactional: true })
  async create(
    @TenantId() tenantId: string,
    @ValidBody(validateNewCustomer) input: NewCustomer,
    // passthrough: Nest still sends the return value; the header is set before it goes out,
    // so the library stores it with the response.
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<Customer> {
    const customer = await this.customers.create(tenantId, input);
    response.setHeader('Location', `/customers/${customer.id}`);
    return customer;
  }

  @Get()
  list(@TenantId() tenantId: string): Promise<{ data: Customer[]; total: number }> {
    return this.customers.list(tenantId);
  }

  @Get(':id')
  get(@TenantId() tenantId: string, @Param('id') id: string): Promise<Customer> {
    return this.customers.get(tenantId, id);
  }

  @Delete(':id')
  delete(@TenantId() tenantId: string, @Param('id') id: string): Promise<Customer> {
    return this.customers.delete(tenantId, id);
  }
}
