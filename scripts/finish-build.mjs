// After `tsc` has written dist/esm and dist/cjs: mark dist/cjs as CommonJS, so that Node.js and
// TypeScript read its .js and .d.ts files as CommonJS although the package is "type": "module".
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
