// Compiles the sample app (build/sample-app/main.js), which the sample-app and chaos tests start
// in child processes. Their projects' global setup: `--selectProjects lib` skips it.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

export default function buildSampleApp() {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.app.json'], { cwd: root, stdio: 'inherit' });
}
