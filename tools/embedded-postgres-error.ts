/**
 * Why an embedded PostgreSQL did not start, in one message: where, the cause with what to do
 * about it, the way around it, and the server's last lines of output.
 */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';

  constructor(where: string, cause: unknown, output: readonly string[]) {
    const reason =
      cause instanceof Error ? cause.message : String(cause ?? 'it ended without saying why');
    super(
      [
        `Could not start the embedded PostgreSQL (${where}): ${reason}`,
        'To use a PostgreSQL server of your own instead, set DATABASE_URL.',
        ...(output.length > 0 ? ['Its last output:', ...output.map((line) => `  ${line}`)] : []),
      ].join('\n'),
      { cause },
    );
  }
}
