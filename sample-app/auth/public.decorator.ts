import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'sample-app:public';

/** Lets a route (or controller) through `BearerAuthGuard` without a token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
