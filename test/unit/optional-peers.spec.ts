import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/gm;

/** Every source file the entry reaches through its import and export statements, with what each imports. */
function graph(entry: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => match[1]);
    files.set(file, specifiers);
    for (const specifier of specifiers.filter((s) => s.startsWith('.'))) {
      visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(ROOT, entry));
  return files;
}

// An app that installs neither @nestjs/swagger nor @nestjs/terminus must be able to load the
// package: only their subpaths may import them (the package test boots such apps).
describe('the optional peers @nestjs/swagger and @nestjs/terminus', () => {
  it.each(['lib/index.ts', 'lib/testing/index.ts'])('are not imported from %s', (entry) => {
    const importers = [...graph(entry)]
      .filter(([, specifiers]) => specifiers.some((s) => /^@nestjs\/(swagger|terminus)\b/.test(s)))
      .map(([file]) => relative(ROOT, file));
    expect(importers).toEqual([]);
  });

  it.each([
    ['lib/swagger/index.ts', '@nestjs/swagger'],
    ['lib/terminus/index.ts', '@nestjs/terminus'],
  ])('are imported from their subpath %s', (entry, peer) => {
    const imported = [...graph(entry).values()].flat();
    expect(imported).toContain(peer);
  });
});
