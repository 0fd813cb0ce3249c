import { createHash } from "node:crypto";
import type { BindingKey } from "./binding-key";

/** How many values a WriteOnly client remembers handing out; a few MB of digests. */
export const HANDED_OUT_CAPACITY = 50_000;

/**
 * A bounded record of the stored values a WriteOnly field's reads returned,
 * each tied to its table, field and item key. A WriteOnly client may write a
 * stored value back unchanged only if it is in this record for the same item
 * and field: any other `ENC:` text it is given is user input, encrypted as a
 * new plaintext, so a WriteOnly ingest path cannot be used to plant someone
 * else's ciphertext (or a malformed one that breaks every reader's page).
 * Only stored ciphertext is recorded: legacy plaintext a read returned is
 * encrypted when written back, like any other plaintext.
 * Least recently recorded values are forgotten first; a forgotten value
 * written back is then encrypted as a string, never stored as given.
 */
export class HandedOutCiphertexts {
  private readonly digests = new Map<string, true>();

  constructor(private readonly capacity = HANDED_OUT_CAPACITY) {}

  private static digest(table: string, field: string, key: BindingKey, text: string): string {
    const hash = createHash("sha256");
    const part = (bytes: Buffer | string) => {
      const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(b.length);
      hash.update(length).update(b);
    };
    part(table);
    part(field);
    for (const { name, value } of key) {
      part(name);
      part(value);
    }
    part(text);
    return hash.digest("base64");
  }

  record(table: string, field: string, key: BindingKey, text: string): void {
    const d = HandedOutCiphertexts.digest(table, field, key, text);
    this.digests.delete(d);
    this.digests.set(d, true);
    if (this.digests.size > this.capacity)
      this.digests.delete(this.digests.keys().next().value as string);
  }

  has(table: string, field: string, key: BindingKey, text: string): boolean {
    return this.digests.has(HandedOutCiphertexts.digest(table, field, key, text));
  }

  get size(): number {
    return this.digests.size;
  }
}
