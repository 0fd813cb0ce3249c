import { EncryptionError } from "../errors/encryption-error";

/** A Buffer view over a request body (a Uint8Array in recent SDKs, a string in older ones), without copying. */
export function bodyBytes(body: unknown): Buffer | undefined {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

/** Parses a JSON body from bytes, through a Buffer view: string methods on the SDK's body object make it warn. */
export function parseJsonBody(
  bytes: Uint8Array,
  code: "request.malformed" | "response.malformed",
): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
    );
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below, without the body's content
  }
  throw new EncryptionError(
    code,
    code === "request.malformed"
      ? "The serialized request body is not a JSON object"
      : "The DynamoDB response body is not a JSON object",
  );
}

/** Reads a whole response body: a Node stream (or any async iterable), the SDK's stream mixin, a Uint8Array or a string. */
export async function readResponseBody(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array();
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return body;
  const iterable = body as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown> };
  if (typeof iterable[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<unknown>) {
      chunks.push(
        typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk as Uint8Array),
      );
    }
    return Buffer.concat(chunks);
  }
  const sdkStream = body as { transformToByteArray?: () => Promise<Uint8Array> };
  if (typeof sdkStream.transformToByteArray === "function") return sdkStream.transformToByteArray();
  throw new EncryptionError(
    "response.malformed",
    "The DynamoDB response body is of a kind the plugin cannot read",
  );
}

/**
 * A test of whether a request body names any of `tableNames` in any letter
 * case: first the exact bytes (a hit is parsed anyway), then, only on a miss,
 * a case-insensitive search of the body read as latin1 (one character per
 * byte; table names are ASCII, and no UTF-8 sequence folds into ASCII there).
 */
export function tableMentionTest(tableNames: readonly string[]): (bytes: Buffer) => boolean {
  if (tableNames.length === 0) return () => false;
  const exact = tableNames.map((name) => Buffer.from(name, "utf8"));
  const folded = new RegExp(
    tableNames.map((name) => name.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")).join("|"),
    "i",
  );
  return (bytes) =>
    exact.some((name) => bytes.indexOf(name) >= 0) || folded.test(bytes.toString("latin1"));
}
