/** Work left to do: text to write as is, a value to write, or the end of a container. */
type Step = string | { value: unknown; depth: number } | { leave: object };

/**
 * One text per value: JSON with object keys sorted at every depth for what JSON can hold, so
 * that key order never counts, and a `!`-tagged form for what it cannot (`!NaN`, `!-0`,
 * `!undefined` in arrays, `!bigint(1)`, `!Date(0)`, `!Buffer("AQI=")`, `!Map[...]`...), so that
 * such values never share a text with other values. No JSON value starts with `!`, so the two
 * never meet. A property whose value is `undefined` counts as absent, as it reads the same.
 *
 * Iterative, so that any nesting a body parser allows is written without growing the stack.
 */
export function canonicalJson(root: unknown): string {
  let out = '';
  const steps: Step[] = [{ value: root, depth: 0 }];
  // Containers being written, with their depth: a value met again among them is a cycle.
  const open = new Map<object, number>();
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    if (typeof step === 'string') {
      out += step;
    } else if ('leave' in step) {
      open.delete(step.leave);
    } else {
      const { value, depth } = step;
      const leaf = leafText(value);
      if (leaf !== undefined) {
        out += leaf;
      } else if (open.has(value as object)) {
        out += `!cycle(${depth - open.get(value as object)!})`;
      } else {
        open.set(value as object, depth);
        steps.push({ leave: value as object });
        pushContainer(value as object, depth + 1, steps);
      }
    }
  }
  return out;
}

/** The text of a value that holds no other values, or `undefined` for a container. */
function leafText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      // Escapes lone surrogates (`"\ud800"`), so the text stays lossless once UTF-8 encoded.
      return JSON.stringify(value);
    case 'number':
      if (Object.is(value, -0)) return '!-0';
      return Number.isFinite(value) ? JSON.stringify(value) : `!${value}`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return '!undefined';
    case 'bigint':
      return `!bigint(${value})`;
    case 'symbol':
      return `!symbol(${JSON.stringify(value.description ?? null)})`;
    case 'function':
      return `!function(${JSON.stringify(value.name)})`;
  }
  if (value === null) return 'null';
  if (value instanceof Date) return `!Date(${value.getTime()})`;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    const bytes = ArrayBuffer.isView(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : Buffer.from(value);
    return `!${value.constructor.name}(${JSON.stringify(bytes.toString('base64'))})`;
  }
  return undefined;
}

/** Pushes the steps that write a container, last first. */
function pushContainer(value: object, depth: number, steps: Step[]): void {
  if (Array.isArray(value)) return pushItems(value, depth, steps);
  if (value instanceof Map) {
    pushItems([...value], depth, steps);
    return void steps.push('!Map');
  }
  if (value instanceof Set) {
    pushItems([...value], depth, steps);
    return void steps.push('!Set');
  }
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Object.prototype || prototype === null) return pushEntries(value, depth, steps);
  // A class instance: written as what it serializes to, or as its own properties, after its name.
  const name = JSON.stringify((value.constructor as { name?: unknown } | undefined)?.name ?? null);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    steps.push({ value: toJSON.call(value) as unknown, depth });
    return void steps.push(`!toJSON(${name})`);
  }
  pushEntries(value, depth, steps);
  steps.push(`!object(${name})`);
}

function pushItems(items: readonly unknown[], depth: number, steps: Step[]): void {
  steps.push(']');
  for (let i = items.length - 1; i >= 0; i--) {
    steps.push(leafText(items[i]) ?? { value: items[i], depth });
    if (i > 0) steps.push(',');
  }
  steps.push('[');
}

function pushEntries(value: object, depth: number, steps: Step[]): void {
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  steps.push('}');
  for (let i = keys.length - 1; i >= 0; i--) {
    const item = record[keys[i]];
    steps.push(leafText(item) ?? { value: item, depth });
    steps.push(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`);
  }
  steps.push('{');
}
