import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { childEnv } from './child-env.js';

const run = promisify(execFile);

/** The repository root, which `npm pack` packs. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A tarball made by `npm pack`, and its contents unpacked next to it. */
export interface Tarball {
  /** Absolute path of the `.tgz`. */
  path: string;
  /** The paths in the tarball, relative to its `package/` folder (`dist/esm/lib/index.js`). */
  files: string[];
  size: number;
  unpackedSize: number;
  /** The unpacked `package/` folder. */
  dir: string;
  /** Its package.json. */
  manifest: {
    main: string;
    types: string;
    exports: unknown;
    peerDependencies: Record<string, string>;
  };
}

/** Runs `npm pack` on the repository (its `prepack` builds dist/) and unpacks the result. */
export async function packRepository(destination: string): Promise<Tarball> {
  mkdirSync(destination, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: ROOT,
    env: childEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  // With --json, npm writes the prepack build's output to stderr and only the JSON to stdout.
  const [packed] = JSON.parse(stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const path = join(destination, packed.filename);
  await run('tar', ['-xzf', path, '-C', destination]);
  const dir = join(destination, 'package');
  return {
    path,
    files: packed.files.map((file) => file.path),
    size: packed.size,
    unpackedSize: packed.unpackedSize,
    dir,
    manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
  };
}

/** Every path that `main`, `types` and `exports` (all subpaths and conditions) point to. */
export function entryPoints(manifest: Tarball['manifest']): string[] {
  const targets = [manifest.main, manifest.types];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  return [...new Set(targets.map((target) => posix.normalize(target)))];
}

// `from '...'` after an import/export clause, `import('...')`, `require('...')`; not a method
// call such as `Buffer.from('...')`.
const SPECIFIER = /(?<![.\w])(?:from\s*|import\s*\(\s*|require\s*\(\s*)(['"])([^'"]+)\1/g;
// Comments hold examples (`import ... from 'vitest'`) that the file does not import.
const COMMENT = /\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm;

/** The module specifiers that a `.js` or `.d.ts` file imports, requires or re-exports. */
export function importsOf(tarball: Tarball, file: string): string[] {
  const source = readFileSync(join(tarball.dir, file), 'utf8').replace(COMMENT, '');
  return [...source.matchAll(SPECIFIER)].map((match) => match[2]);
}

/**
 * The file a relative specifier of `file` needs in the tarball: the `.js` itself, or for a
 * declaration file the `.d.ts` that TypeScript reads for `./x.js`.
 */
export function relativeTarget(file: string, specifier: string): string {
  const target = posix.join(posix.dirname(file), specifier);
  return file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target;
}
