import type {
  ComponentsObject,
  HeaderObject,
  MediaTypeObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import { IDEMPOTENCY_MESSAGES } from '../errors/idempotency-messages.constants.js';
import { IN_USE_RETRY_AFTER_SECONDS } from '../idempotency-internal.constants.js';
import { PROBLEM_CONTENT_TYPE } from '../idempotency.constants.js';
import { idempotencyKeyPattern } from '../key/idempotency-key-pattern.js';

/** What the document says of one idempotent route: its resolved options. */
export interface DocumentedRoute {
  /** The request header of the key; `undefined` when the route takes its key elsewhere (`key`). */
  headerName: string | undefined;
  /** The header named in the `idempotency_key_missing` detail (the module's `headerName`). */
  missingHeaderName: string;
  required: boolean;
  maxKeyLength: number;
  replayHeaderName: string;
  mismatchStatus: 409 | 422;
}

/** Name of the problem+json schema in `components.schemas`. */
export const PROBLEM_SCHEMA_NAME = 'IdempotencyProblem';

const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'An error of the idempotency layer, as RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'about:blank#idempotency_key_in_use' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(IDEMPOTENCY_MESSAGES) },
  },
};

/** Adds the problem+json schema that the operations' problem responses refer to. */
export function addProblemSchema(components: ComponentsObject): void {
  components.schemas ??= {};
  components.schemas[PROBLEM_SCHEMA_NAME] ??= PROBLEM_SCHEMA;
}

/**
 * Documents an idempotent route's operation: the key header, the replay header on the app's own
 * responses, and the problems the library can answer with, each `code` an example.
 */
export function documentIdempotentOperation(
  operation: OperationObject,
  route: DocumentedRoute,
): void {
  if (route.headerName !== undefined) addKeyHeader(operation, route.headerName, route);
  // Only the app's own answers are stored and replayed: a 2xx or 4xx, never the library's.
  for (const [status, response] of Object.entries(operation.responses)) {
    if (response === undefined || isReference(response) || status.startsWith('5')) continue;
    response.headers = { ...response.headers, [route.replayHeaderName]: REPLAY_HEADER };
  }
  for (const [status, problems] of problemsByStatus(route)) {
    addResponse(operation.responses, String(status), problemResponse(problems));
  }
}

const REPLAY_HEADER: HeaderObject = {
  description:
    '`true` when this is the stored response of an earlier request with the same key, sent again without running the operation.',
  schema: { type: 'string', enum: ['true'] },
};

function addKeyHeader(operation: OperationObject, name: string, route: DocumentedRoute): void {
  const header: ParameterObject = {
    name,
    in: 'header',
    required: route.required,
    description:
      (route.required ? 'Required. ' : 'Optional: without it the operation runs every time. ') +
      'Names this operation: a retry with the same key and the same request gets the first ' +
      `response again (with \`${route.replayHeaderName}: true\`), and the operation runs once. ` +
      `1 to ${route.maxKeyLength} visible ASCII characters (0x21-0x7E), or the same key as an ` +
      'RFC 8941 string (`"abc"`).',
    schema: { type: 'string', pattern: idempotencyKeyPattern(route.maxKeyLength) },
  };
  const others = (operation.parameters ?? []).filter(
    (parameter) =>
      isReference(parameter) ||
      parameter.in !== 'header' ||
      parameter.name.toLowerCase() !== name.toLowerCase(),
  );
  operation.parameters = [...others, header];
}

/** The errors the route can answer with, by status, exactly as it sends them. */
function problemsByStatus(route: DocumentedRoute): Map<number, IdempotencyException[]> {
  const problems = [
    ...(route.required ? [IdempotencyException.keyMissing(route.missingHeaderName)] : []),
    IdempotencyException.keyInvalid(route.maxKeyLength),
    IdempotencyException.keyReused(route.mismatchStatus),
    IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS),
    IdempotencyException.responseUnavailable(),
    IdempotencyException.storeUnavailable(),
  ];
  const byStatus = new Map<number, IdempotencyException[]>();
  for (const problem of problems) {
    byStatus.set(problem.getStatus(), [...(byStatus.get(problem.getStatus()) ?? []), problem]);
  }
  return byStatus;
}

function problemResponse(problems: IdempotencyException[]): ResponseObject {
  const retryAfter = problems.filter((problem) => problem.headers['Retry-After'] !== undefined);
  const response: ResponseObject = {
    description: problems.map(({ code, problem }) => `- \`${code}\`: ${problem.detail}`).join('\n'),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` },
        examples: Object.fromEntries(
          problems.map(({ code, problem }) => [code, { summary: problem.title, value: problem }]),
        ),
      },
    },
  };
  if (retryAfter.length > 0) {
    response.headers = {
      'Retry-After': {
        description: `Seconds to wait before a retry (${retryAfter.map(({ code }) => `\`${code}\``).join(', ')}).`,
        schema: { type: 'integer', minimum: 0 },
      },
    };
  }
  return response;
}

/** Adds a response, merged into one the app already documents for that status. */
function addResponse(responses: ResponsesObject, status: string, ours: ResponseObject): void {
  const theirs = responses[status];
  if (theirs === undefined) {
    responses[status] = ours;
    return;
  }
  // A shared response by reference cannot be extended for one operation; it is left as it is.
  if (isReference(theirs)) return;
  theirs.description = theirs.description
    ? `${theirs.description}\n\n${ours.description}`
    : ours.description;
  if (ours.headers) theirs.headers = { ...theirs.headers, ...ours.headers };
  theirs.content ??= {};
  const media = theirs.content[PROBLEM_CONTENT_TYPE];
  const problems = ours.content![PROBLEM_CONTENT_TYPE];
  theirs.content[PROBLEM_CONTENT_TYPE] = media ? mergeMedia(media, problems) : problems;
}

/** The app's problem+json documentation and the library's, side by side. */
function mergeMedia(theirs: MediaTypeObject, ours: MediaTypeObject): MediaTypeObject {
  const { example, examples, schema, ...rest } = theirs;
  return {
    ...rest,
    schema:
      schema === undefined || JSON.stringify(schema) === JSON.stringify(ours.schema)
        ? ours.schema
        : { oneOf: [schema, ours.schema!] },
    // `example` and `examples` exclude each other: the app's single example joins the list.
    examples: {
      ...(example === undefined ? {} : { example: { value: example } }),
      ...examples,
      ...ours.examples,
    },
  };
}

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}
