import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodeProcess from 'node:process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { childEnv } from './child-env.js';

const TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));
const REPORTED_VERSIONS = [
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/typeorm',
  'typeorm',
  'nestjs-cls',
  'typescript',
];

/** Runs a command in `dir` and returns its stdout; a failure carries the command's output. */
export async function execIn(
  dir: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd: dir,
      env: childEnv(env),
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${dir}:\n${stdout}\n${stderr}`, {
      cause: error,
    });
  }
}

/**
 * Copies the template `name` into `workDir`, installs the tarball with plain npm (peer ranges
 * enforced) next to the template's own dependencies, and compiles it with its own `tsc`.
 * @returns the app's folder
 */
export async function buildApp(name: string, tarball: string, workDir: string): Promise<string> {
  const dir = join(workDir, name);
  cpSync(join(TEMPLATES, name), dir, { recursive: true });
  const started = Date.now();
  await execIn(dir, 'npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline']);
  const installed = Date.now();
  await execIn(dir, nodeProcess.execPath, [
    'node_modules/typescript/bin/tsc',
    '-p',
    'tsconfig.json',
  ]);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  nodeProcess.stdout.write(
    `[package] ${name}: npm install ${seconds(installed - started)}, ` +
      `tsc ${seconds(Date.now() - installed)}; ${installedVersions(dir)}\n`,
  );
  return dir;
}

function installedVersions(dir: string): string {
  return REPORTED_VERSIONS.filter((name) => existsSync(join(dir, 'node_modules', name)))
    .map((name) => {
      const manifest = readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8');
      return `${name} ${JSON.parse(manifest).version}`;
    })
    .join(', ');
}

/** What came back, with the body kept as bytes for byte-for-byte comparisons. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read any field
}

export interface RequestOptions {
  /** Sent as the `Idempotency-Key` header. */
  key?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A `node dist/main.js` of an installed app. */
export interface RunningApp {
  port: number;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** SIGKILL, resolved once the process has exited. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

// Safety net for a run that ends without its afterAll: no app outlives the test process.
nodeProcess.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Starts `node dist/main.js` in `dir` on a free port and waits for the port it prints. */
export async function startApp(dir: string, databaseUrl: string): Promise<RunningApp> {
  const child = spawn(nodeProcess.execPath, ['dist/main.js'], {
    cwd: dir,
    env: childEnv({ DATABASE_URL: databaseUrl, PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = once(child, 'exit').then(() => running.delete(child));
  const kill = async () => {
    if (running.has(child)) child.kill('SIGKILL');
    await exited;
  };
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const printedPort = new Promise<number>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const printed = /listening on port (\d+)/.exec(output);
      if (printed) resolve(Number(printed[1]));
    });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      printedPort,
      exited.then(() => Promise.reject(new Error('exited before it listened'))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('printed no port within 30 s')), 30_000);
      }),
    ]);
    const url = `http://127.0.0.1:${port}`;
    return { port, request: (method, path, options) => send(url, method, path, options), kill };
  } catch (error) {
    await kill();
    throw new Error(
      `node dist/main.js in ${dir}: ${(error as Error).message}. Output:\n${output}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function send(
  url: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, body, text, json };
}
