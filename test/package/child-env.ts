/**
 * The environment for npm, tsc and the apps: this process's, without what `npm test` and Jest
 * add. Under `npm test`, npm exports its settings as `npm_config_*` (which a nested npm would
 * read as its own; it reads the same config files anyway) and this repository's package.json as
 * `npm_package_*`; NODE_OPTIONS carries Jest's --experimental-vm-modules.
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
