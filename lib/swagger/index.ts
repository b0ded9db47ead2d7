// The `nestjs-idempotency/swagger` subpath: what documents the library in an OpenAPI document
// of `@nestjs/swagger`, an optional peer, kept out of the main entry.
export { documentIdempotency } from './document-idempotency.js';
