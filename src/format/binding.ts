import { createHash } from "node:crypto";
import { EncryptionError } from "../errors/encryption-error";
import { canonicalContext } from "../util/canonical-context";
import type { EncryptionContext } from "../config/config-types";
import { canonicalNumber } from "./canonical-number";
import { type WireItem, wireType } from "./wire";

/** Where a value lives: what its ciphertext is bound to. */
export interface Binding {
  /** The logical table name. */
  table: string;
  /** The configured field path (not a concrete list index). */
  field: string;
  /** The item's key attributes, name and value, partition key first. */
  key: { name: string; value: Buffer }[];
  context: EncryptionContext;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

const utf8 = (s: string) => lengthPrefixed(Buffer.from(s, "utf8"));

/**
 * The canonical bytes of one key attribute value: a type letter then the
 * value (S as UTF-8, N canonicalised, B as raw bytes, given as base64 text on
 * the wire or as bytes by the SDK's deserializer). Undefined if the value
 * cannot be a key.
 */
export function keyValueBytes(value: unknown): Buffer | undefined {
  const type = wireType(value);
  const v = value as Record<string, unknown>;
  if (type === "S" && typeof v.S === "string") {
    // Precondition: lone surrogates all encode to U+FFFD in UTF-8, so keys DynamoDB keeps apart would bind alike.
    if (!v.S.isWellFormed()) return undefined;
    return Buffer.from(`S${v.S}`, "utf8");
  }
  if (type === "N" && typeof v.N === "string") {
    const n = canonicalNumber(v.N);
    return n === undefined ? undefined : Buffer.from(`N${n}`, "utf8");
  }
  if (type === "B" && typeof v.B === "string")
    return Buffer.concat([Buffer.from("B"), Buffer.from(v.B, "base64")]);
  // The SDK's deserializer gives binaries as bytes; the binding is the same.
  if (type === "B" && v.B instanceof Uint8Array) return Buffer.concat([Buffer.from("B"), v.B]);
  return undefined;
}

/** The item's key for binding, read from the item itself or, failing that, from the request's `Key`. */
export function itemKey(
  names: { partitionKey: string; sortKey: string | undefined },
  item: WireItem,
  fallback: WireItem | undefined,
  where: { table: string },
): { name: string; value: Buffer }[] {
  const out: { name: string; value: Buffer }[] = [];
  for (const name of names.sortKey === undefined
    ? [names.partitionKey]
    : [names.partitionKey, names.sortKey]) {
    const raw = item[name] ?? fallback?.[name];
    const value = keyValueBytes(raw);
    if (value === undefined && typeof (raw as { S?: unknown } | undefined)?.S === "string") {
      throw new EncryptionError(
        "item.keyInvalid",
        `The key attribute "${name}" is a string that is not well-formed UTF-16 (a lone surrogate); it cannot be bound unambiguously`,
        where,
      );
    }
    if (value === undefined) {
      throw new EncryptionError(
        "item.keyMissing",
        `The item has no valid key attribute "${name}", which encrypted values are bound to (a projection or update that leaves it out needs it)`,
        where,
      );
    }
    out.push({ name, value });
  }
  return out;
}

/** The parts of the associated data that do not depend on the item, computed once per field. */
export interface AadParts {
  prefix: Buffer;
  suffix: Buffer;
}

export function aadParts(
  version: number,
  table: string,
  field: string,
  context: EncryptionContext,
): AadParts {
  return {
    prefix: Buffer.concat([Buffer.of(version), utf8(table), utf8(field)]),
    suffix: utf8(canonicalContext(context)),
  };
}

/** An item's binding key, with the encoded key part of its associated data once made. */
type KeyWithPart = Binding["key"] & { encodedPart?: Buffer };

/** The encoded key part of an item's associated data, made once per item rather than per value. */
function keyPart(key: KeyWithPart): Buffer {
  let part = key.encodedPart;
  if (!part) {
    // u8 count, then lp(name) and lp(value) per attribute, written into one buffer.
    let size = 1;
    for (const { name, value } of key) size += 8 + Buffer.byteLength(name, "utf8") + value.length;
    part = Buffer.allocUnsafe(size);
    let at = part.writeUInt8(key.length, 0);
    for (const { name, value } of key) {
      const written = part.write(name, at + 4, "utf8");
      part.writeUInt32BE(written, at);
      at += 4 + written;
      at = part.writeUInt32BE(value.length, at);
      at += value.copy(part, at);
    }
    key.encodedPart = part;
  }
  return part;
}

/** The associated data for one item's key, from precomputed parts, in one allocation. */
export function associatedDataFrom(parts: AadParts, key: Binding["key"]): Buffer {
  const middle = keyPart(key);
  return Buffer.concat(
    [parts.prefix, middle, parts.suffix],
    parts.prefix.length + middle.length + parts.suffix.length,
  );
}

/**
 * AES-GCM associated data: the format version, the logical table, the field
 * path, the item's key attributes and the encryption context, each
 * length-prefixed. A ciphertext moved to another table, item or field fails
 * to authenticate.
 */
export function associatedData(version: number, binding: Binding): Buffer {
  return associatedDataFrom(
    aadParts(version, binding.table, binding.field, binding.context),
    binding.key,
  );
}

/**
 * A SHA-256 digest (hex) of an item's key attributes, for the `kms` scheme's
 * encryption context: KMS contexts appear in CloudTrail, so the key values
 * themselves are not put there.
 */
export function keyDigest(key: Binding["key"]): string {
  const hash = createHash("sha256");
  for (const { name, value } of key) hash.update(utf8(name)).update(lengthPrefixed(value));
  return hash.digest("hex");
}
