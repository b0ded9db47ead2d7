/** A response body as it is written, kept only while it fits in `maxBytes`. */
export class CapturedBody {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= this.maxBytes) this.chunks.push(chunk);
    else this.chunks.length = 0;
  }

  /** The bytes written so far, or `null` once there were more than `maxBytes`. */
  get bytes(): Buffer | null {
    return this.size <= this.maxBytes ? Buffer.concat(this.chunks) : null;
  }
}

/** A chunk as Node.js writes it (string, Buffer, Uint8Array) as bytes; `undefined` if it is none. */
export function toBuffer(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') {
    return Buffer.from(
      chunk,
      typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8',
    );
  }
  return chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
}
