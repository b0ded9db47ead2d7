import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import nodeProcess from 'node:process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/free-port.js';
import { delay } from './delay.js';

/** The repository root, where `build/sample-app/main.js` is built. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `SAMPLE_APP_MAIN` runs another build of the app (a mutant, say) under the same tests. */
const MAIN =
  process.env.SAMPLE_APP_MAIN ??
  fileURLToPath(new URL('../../build/sample-app/main.js', import.meta.url));

/** Variables of the jest process that must not leak into the app: the test sets what it means. */
const SCRUBBED_ENV = /^(NODE_OPTIONS|PORT|HOST|DATABASE_URL|SAMPLE_FAULTS|IDEMPOTENCY_.*)$/;

/** How a sample-app child process is started. */
export interface StartSampleAppOptions {
  /** `DATABASE_URL` of the app. */
  databaseUrl: string;
  /** Extra environment (`SAMPLE_FAULTS`, `IDEMPOTENCY_TTL_SECONDS`, ...); `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** `PORT`; a free one by default. Pass a previous app's port to restart "the same" server. */
  port?: number;
  /** `HOST`; `127.0.0.1` by default. */
  host?: string;
  /** The script to run; `build/sample-app/main.js` by default. */
  main?: string;
  /** How long to wait for `GET /health` to answer 200. Default 30 s. */
  healthTimeoutMs?: number;
}

/** One request to the app. */
export interface SampleAppRequestOptions {
  /** Bearer token: names the tenant. */
  token?: string;
  /** `Idempotency-Key` header, sent as is (may be empty or malformed on purpose). */
  key?: string;
  /** Serialised with `JSON.stringify`, sent as `application/json`. */
  body?: unknown;
  /** Sent byte for byte as `application/json` (unless `headers` says otherwise); wins over `body`. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** What came back, with the body kept raw so that byte-for-byte comparisons are possible. */
export interface SampleAppResponse {
  status: number;
  /** Lower-case header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** The raw body bytes. */
  body: Buffer;
  /** The body decoded as UTF-8. */
  text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read any field
}

/** How a child process ended. */
export interface SampleAppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `node build/sample-app/main.js`. */
export interface SampleApp {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  pid: number;
  /** The options it was started with (the port filled in), to start it again with `startSampleApp`. */
  options: StartSampleAppOptions & { port: number };
  request(
    method: string,
    path: string,
    options?: SampleAppRequestOptions,
  ): Promise<SampleAppResponse>;
  /** Sends `signal` (default SIGKILL) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<SampleAppExit>;
  /** SIGTERM, then SIGKILL if it has not exited after 10 s; resolves once it has exited. */
  stop(): Promise<SampleAppExit>;
  /** Settles when the process exits, for whatever reason. */
  exited: Promise<SampleAppExit>;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** The last lines it wrote to stdout and stderr, for error messages. */
  output(): string;
}

const running = new Set<SampleApp>();

// Safety net for a test run that ends without its afterAll (a crashed worker, a forced exit):
// no app outlives the process that started it. The real process object, not Jest's sandbox copy.
nodeProcess.once('exit', () => {
  for (const app of running) {
    try {
      nodeProcess.kill(app.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts the sample app in a child process on 127.0.0.1 and waits until `GET /health` is 200.
 * @throws Error with the child's output when it exits early or does not get healthy in time.
 */
export async function startSampleApp(options: StartSampleAppOptions): Promise<SampleApp> {
  const main = options.main ?? MAIN;
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npx tsc -p tsconfig.app.json\` first`);
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !SCRUBBED_ENV.test(name)) env[name] = value;
  }
  Object.assign(env, { PORT: String(port), HOST: host, DATABASE_URL: options.databaseUrl });
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }

  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<SampleAppExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;

  const url = `http://${host}:${port}`;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!hasExited) child.kill(signal);
    return exited;
  };
  const app: SampleApp = {
    url,
    port,
    pid: child.pid!,
    options: { ...options, port },
    request: (method, path, requestOptions) => send(host, port, method, path, requestOptions),
    kill,
    stop: async () => {
      if (hasExited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    exited,
    get alive() {
      return !hasExited;
    },
    output: () => log,
  };
  running.add(app);
  void exited.then(() => running.delete(app));

  try {
    await waitUntilHealthy(app, options.healthTimeoutMs ?? 30_000, () => hasExited);
  } catch (error) {
    await kill();
    throw error;
  }
  return app;
}

/** A compact description of a response for failure messages. */
export function describeResponse(response: SampleAppResponse): string {
  return `${response.status} ${JSON.stringify(response.headers)} ${response.text}`;
}

/** Kills (SIGKILL) every app this module started that is still running; for `afterAll`. */
export async function killAllSampleApps(): Promise<void> {
  await Promise.all([...running].map((app) => app.kill()));
}

/** Starts another process like `app` (same env and port by default), e.g. after a crash. */
export function restartSampleApp(
  app: SampleApp,
  overrides: Partial<StartSampleAppOptions> = {},
): Promise<SampleApp> {
  return startSampleApp({ ...app.options, ...overrides });
}

async function waitUntilHealthy(
  app: SampleApp,
  timeoutMs: number,
  hasExited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited()) {
      const { code, signal } = await app.exited;
      throw new Error(
        `sample app (pid ${app.pid}) exited before it was healthy (code ${code}, signal ${signal}). Output:\n${app.output()}`,
      );
    }
    try {
      const response = await app.request('GET', '/health');
      if (response.status === 200) return;
      last = `${response.status} ${response.text}`;
    } catch (error) {
      last = String(error);
    }
    await Promise.race([delay(100), app.exited]);
  }
  await app.kill();
  throw new Error(
    `sample app (pid ${app.pid}) on ${app.url} was not healthy after ${timeoutMs} ms (last: ${last}). Output:\n${app.output()}`,
  );
}

function send(
  host: string,
  port: number,
  method: string,
  path: string,
  options: SampleAppRequestOptions = {},
): Promise<SampleAppResponse> {
  const headers: Record<string, string> = {};
  let payload: Buffer | undefined;
  if (options.rawBody !== undefined) payload = Buffer.from(options.rawBody);
  else if (options.body !== undefined) payload = Buffer.from(JSON.stringify(options.body));
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = value;

  return new Promise((resolve, reject) => {
    // agent: false, one connection per request: no keep-alive socket outlives a killed app.
    const request = httpRequest({ host, port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode!, headers: response.headers, body, text, json });
      });
    });
    request.on('error', reject);
    request.end(payload);
  });
}
