/**
 * The environment for npm, tsc and the apps: this process's, without what `npm test` and Jest
 * add. `npm_*` variables would be read as npm settings by the nested `npm install` (a
 * `npm_config_local_prefix` of this repository, say), and NODE_OPTIONS carries Jest's
 * --experimental-vm-modules.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|NODE_OPTIONS$|INIT_CWD$|DATABASE_URL$|PORT$)/i.test(name))
      continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
