import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';

interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** The peers checked at start-up, with the versions the package's tests prove. */
const SUPPORTED_PEERS: ReadonlyArray<{
  name: string;
  range: string;
  accepts: (version: Version) => boolean;
}> = [
  {
    name: '@nestjs/core',
    range: '^11 || ^12',
    accepts: ({ major }) => major === 11 || major === 12,
  },
  {
    name: '@nestjs/common',
    range: '^11 || ^12',
    accepts: ({ major }) => major === 11 || major === 12,
  },
  {
    name: '@nestjs/typeorm',
    range: '^11 || ^12',
    accepts: ({ major }) => major === 11 || major === 12,
  },
  {
    name: 'typeorm',
    range: '^0.3.20 || ^1',
    accepts: ({ major, minor, patch }) =>
      major === 1 || (major === 0 && minor === 3 && patch >= 20),
  },
];

// Each copy of this package that Node.js loads registers here: an app that loads both the ESM
// and the CommonJS build has two IdempotencyStore tokens and two sets of decorators.
const COPIES = Symbol.for('nestjs-idempotency.loaded-formats');
const registry = globalThis as typeof globalThis & { [COPIES]?: Set<string> };
(registry[COPIES] ??= new Set()).add(typeof module === 'object' ? 'CommonJS' : 'ESM');

/**
 * Fails start-up with a message that names the cause when the app's NestJS or TypeORM is
 * outside the supported range, when the library would load its own copy of `@nestjs/core`
 * (an `npm link` or a nested install), or when both builds of the library are loaded.
 * Packages that cannot be found from the app's entry point are left to Node.js to report.
 * @throws IdempotencyConfigurationError
 */
export function checkPeerDependencies(entryPoint = process.argv[1] ?? 'index.js'): void {
  const formats = registry[COPIES]!;
  if (formats.size > 1) {
    throw new IdempotencyConfigurationError(
      `nestjs-idempotency is loaded twice, as ${[...formats].join(' and as ')}: its decorators and its IdempotencyStore token would not match. Load it one way throughout the app (all import, or all require).`,
    );
  }
  const app = createRequire(resolve(entryPoint));
  for (const peer of SUPPORTED_PEERS) {
    const installed = installedPackage(app, peer.name);
    if (installed === undefined) continue;
    const version = parseVersion(installed.version);
    if (version === undefined || !peer.accepts(version)) {
      throw new IdempotencyConfigurationError(
        `nestjs-idempotency supports ${peer.name} ${peer.range}; this app has ${installed.version} (${installed.dir}).`,
      );
    }
  }
  const library = resolvable(app, 'nestjs-idempotency');
  if (library === undefined) return;
  const appCore = installedPackage(app, '@nestjs/core');
  const libraryCore = installedPackage(createRequire(library), '@nestjs/core');
  if (appCore && libraryCore && appCore.dir !== libraryCore.dir) {
    throw new IdempotencyConfigurationError(
      `Two copies of @nestjs/core are loaded: the app's (${appCore.dir}) and nestjs-idempotency's own (${libraryCore.dir}), so Nest cannot inject the library's providers. Remove the nested copy (npm dedupe; with npm link, link the app's @nestjs packages into the library or install the library from a tarball).`,
    );
  }
}

/** The folder and version of a package as `require` resolves it from somewhere. */
function installedPackage(
  from: NodeJS.Require,
  name: string,
): { dir: string; version: string } | undefined {
  const entry = resolvable(from, name);
  // The entry file is somewhere inside the package: walk up to its package.json.
  for (let dir = entry && dirname(entry); dir && dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name: found, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      version?: string;
    };
    if (found === name && version) return { dir, version };
  }
  return undefined;
}

function resolvable(from: NodeJS.Require, name: string): string | undefined {
  try {
    return from.resolve(name);
  } catch {
    return undefined;
  }
}

function parseVersion(text: string): Version | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match
    ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) }
    : undefined;
}
