import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateIdempotencyKeys1796256000000, IdempotencyModule } from 'nestjs-idempotency';
import { OrdersController } from './orders.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      migrations: [CreateIdempotencyKeys1796256000000],
      migrationsRun: true,
    }),
    IdempotencyModule.forRoot(),
  ],
  controllers: [OrdersController],
})
export class AppModule {}
