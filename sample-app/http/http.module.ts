import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { JsonBodyMiddleware } from './json-body.middleware.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';

/**
 * The HTTP plumbing shared by every route: JSON body reading (the app is created with
 * `bodyParser: false`) and the problem+json exception filter.
 */
@Module({
  providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
})
export class HttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes('/');
  }
}
