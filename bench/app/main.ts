// The app under load, run by the bench runner as a child process (`node build/bench/app/main.js`)
// with an IPC channel: it reports its port, and shuts down when told or when the runner goes.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { installQueryCounter } from '../support/query-counter.js';
import { benchAppModule, type BenchAppConfig } from './bench-app.module.js';
import { countHandledRequests } from './handled-requests.js';
import { releaseHeldRequests } from './held-requests.js';

installQueryCounter();

const config: BenchAppConfig = {
  databaseUrl: required('BENCH_DATABASE_URL'),
  poolSize: Number(process.env.BENCH_POOL_SIZE ?? 10),
};

const app = await NestFactory.create(benchAppModule(config), { logger: ['error', 'warn'] });
app.use(countHandledRequests);
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
process.send?.({ type: 'listening', port });

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(0), 5000).unref();
  releaseHeldRequests();
  await app.close();
  process.exit(0);
}
process.on('message', (message) => {
  if (message === 'shutdown') void shutdown();
});
process.on('disconnect', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the bench app is started by \`npm run bench\``);
  return value;
}
