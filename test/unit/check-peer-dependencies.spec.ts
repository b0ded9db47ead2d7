import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkPeerDependencies } from '../../lib/module/check-peer-dependencies.js';

/** Writes a package with a version and an entry file under `root`. */
function fakePackage(root: string, name: string, version: string): void {
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), '');
}

/** An app folder with the given peers installed; returns its entry point. */
function fakeApp(peers: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'peer-check-'));
  for (const [name, version] of Object.entries(peers)) fakePackage(root, name, version);
  const entry = join(root, 'dist', 'main.js');
  mkdirSync(dirname(entry), { recursive: true });
  writeFileSync(entry, '');
  return entry;
}

const SUPPORTED = {
  '@nestjs/core': '11.1.6',
  '@nestjs/common': '11.1.6',
  '@nestjs/typeorm': '11.0.3',
  typeorm: '0.3.27',
};

describe('the start-up check of peer dependencies', () => {
  const roots: string[] = [];
  const app = (peers: Record<string, string>) => {
    const entry = fakeApp(peers);
    roots.push(dirname(dirname(entry)));
    return entry;
  };
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it.each([
    ['NestJS 11 with TypeORM 0.3', SUPPORTED],
    [
      'NestJS 12 with TypeORM 1',
      {
        '@nestjs/core': '12.5.1',
        '@nestjs/common': '12.5.1',
        '@nestjs/typeorm': '12.0.2',
        typeorm: '1.1.2',
      },
    ],
    ['TypeORM 0.3.20, the first 0.3 it supports', { ...SUPPORTED, typeorm: '0.3.20' }],
    [
      'minor and patch versions of two digits',
      { ...SUPPORTED, '@nestjs/core': '11.12.10', '@nestjs/common': '11.12.10' },
    ],
  ])('accepts %s', (_, peers) => {
    expect(() => checkPeerDependencies(app(peers))).not.toThrow();
  });

  it.each([
    ['@nestjs/core', '10.4.15', /supports @nestjs\/core \^11 \|\| \^12; this app has 10\.4\.15/],
    ['@nestjs/common', '13.0.0', /supports @nestjs\/common \^11 \|\| \^12; this app has 13\.0\.0/],
    ['typeorm', '0.3.17', /supports typeorm \^0\.3\.20 \|\| \^1; this app has 0\.3\.17/],
    ['typeorm', '0.3.19', /this app has 0\.3\.19/],
    ['typeorm', '0.4.20', /this app has 0\.4\.20/],
    ['typeorm', '2.0.0', /this app has 2\.0\.0/],
    ['typeorm', '2.3.20', /this app has 2\.3\.20/],
    [
      '@nestjs/typeorm',
      '10.0.2',
      /supports @nestjs\/typeorm \^11 \|\| \^12; this app has 10\.0\.2/,
    ],
  ])('names %s %s as outside the supported range', (name, version, message) => {
    const entry = app({ ...SUPPORTED, [name]: version });
    expect(() => checkPeerDependencies(entry)).toThrow(message);
    expect(() => checkPeerDependencies(entry)).toThrow(
      expect.objectContaining({ name: 'IdempotencyConfigurationError' }),
    );
  });

  it('says when the library would load its own copy of @nestjs/core', () => {
    const entry = app({ ...SUPPORTED, 'nestjs-idempotency': '0.1.0' });
    const library = join(dirname(dirname(entry)), 'node_modules', 'nestjs-idempotency');
    fakePackage(library, '@nestjs/core', '11.1.6');
    expect(() => checkPeerDependencies(entry)).toThrow(/Two copies of @nestjs\/core are loaded/);
  });

  it("accepts the library installed next to the app's @nestjs/core, sharing it", () => {
    expect(() =>
      checkPeerDependencies(app({ ...SUPPORTED, 'nestjs-idempotency': '0.1.0' })),
    ).not.toThrow();
  });

  it('reads the version from the package.json that names the package, past nested ones', () => {
    // As many packages ship: dist/package.json holds only the module type of its folder.
    const entry = app({ ...SUPPORTED, typeorm: '0.3.17' });
    const typeorm = join(dirname(dirname(entry)), 'node_modules', 'typeorm');
    mkdirSync(join(typeorm, 'dist'));
    writeFileSync(join(typeorm, 'dist', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(join(typeorm, 'dist', 'index.js'), '');
    writeFileSync(
      join(typeorm, 'package.json'),
      JSON.stringify({ name: 'typeorm', version: '0.3.17', main: 'dist/index.js' }),
    );
    expect(() => checkPeerDependencies(entry)).toThrow(/this app has 0\.3\.17/);
  });

  it('leaves a linked library from which @nestjs/core cannot be found to Node.js', () => {
    // npm link: the library's real folder is outside the app, with no node_modules of its own.
    const entry = app(SUPPORTED);
    const linked = mkdtempSync(join(tmpdir(), 'peer-check-linked-'));
    roots.push(linked);
    writeFileSync(
      join(linked, 'package.json'),
      JSON.stringify({ name: 'nestjs-idempotency', version: '0.1.0', main: 'index.js' }),
    );
    writeFileSync(join(linked, 'index.js'), '');
    symlinkSync(linked, join(dirname(dirname(entry)), 'node_modules', 'nestjs-idempotency'));
    expect(() => checkPeerDependencies(entry)).not.toThrow();
  });

  it('leaves packages it cannot find to Node.js', () => {
    expect(() => checkPeerDependencies(app({}))).not.toThrow();
  });

  it('says when both the ESM and the CommonJS build of the library are loaded', () => {
    const formats = (globalThis as Record<symbol, Set<string>>)[
      Symbol.for('nestjs-idempotency.loaded-formats')
    ];
    expect([...formats]).toEqual(['ESM']); // this test file loads the ESM source only
    formats.add('CommonJS');
    try {
      expect(() => checkPeerDependencies(app(SUPPORTED))).toThrow(
        /loaded twice, as ESM and as CommonJS/,
      );
    } finally {
      formats.delete('CommonJS');
    }
  });
});
