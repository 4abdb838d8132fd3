// LSP-style Content-Length framing (codesearch/server/PROTOCOL.md, section 2).
// No vscode import: this module is tested under Node's own test runner.

const HEADER_END = Buffer.from("\r\n\r\n", "ascii");
const MAX_HEADER_BYTES = 16 * 1024; // the server sends one short header line

export class FramingError extends Error {}

/** One frame: the header counts the body's UTF-8 bytes, not its characters. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
}

/** Collects socket chunks and hands back each complete body, however the chunks split it. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** The bodies completed by `chunk` (decoded as UTF-8). Throws FramingError on a broken header. */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const bodies: string[] = [];
    for (;;) {
      const headerEnd = this.buffer.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) {
          throw new FramingError("a frame header without an end");
        }
        return bodies;
      }
      const length = contentLength(this.buffer.subarray(0, headerEnd).toString("ascii"));
      const bodyStart = headerEnd + HEADER_END.length;
      if (this.buffer.length < bodyStart + length) {
        return bodies;
      }
      bodies.push(this.buffer.subarray(bodyStart, bodyStart + length).toString("utf8"));
      this.buffer = this.buffer.subarray(bodyStart + length);
    }
  }
}

function contentLength(header: string): number {
  for (const line of header.split(/\r?\n/)) {
    const match = /^content-length:\s*(\d+)\s*$/i.exec(line);
    if (match) {
      return Number(match[1]);
    }
  }
  throw new FramingError(`a frame without Content-Length: ${JSON.stringify(header)}`);
}
