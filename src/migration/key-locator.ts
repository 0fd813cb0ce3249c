import type { ResolvedField, ResolvedTable } from "../config/resolved-config";
import type { BindingKey } from "../engine/binding-key";
import { directContext } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import type { CiphertextDescription } from "../format/describe-ciphertext";
import type { KeyProvider } from "../keys/key-provider";

/**
 * Tells which of a field's keys (its `keyId`, then its `decryptOnlyKeyIds`)
 * a value is under. A `LocalKeyProvider` value names its key; for AWS KMS the
 * layout is undocumented, so the key is found the way KMS allows: `Decrypt`
 * naming one candidate key at a time (`IncorrectKeyException` for the
 * others). Answers are cached per wrapped data key, so an envelope data key
 * costs one call per candidate once per run; the data key returned is zeroed
 * at once. Called only for values the engine has already decrypted.
 */
export class KeyLocator {
  private readonly known = new Map<string, Promise<string>>();

  constructor(private readonly provider: KeyProvider) {}

  locate(
    table: ResolvedTable,
    field: ResolvedField,
    key: BindingKey,
    description: CiphertextDescription,
    blob: Uint8Array,
  ): Promise<string> {
    if (description.keyId !== undefined) return Promise.resolve(description.keyId);
    // A value that decrypted under a field with one key is under that key.
    if (field.readKeyIds.length === 1) return Promise.resolve(field.readKeyIds[0]!);
    const direct = description.scheme === "kms";
    const cacheKey = direct
      ? undefined
      : `${field.decryptCachePrefix}\u0000${description.wrappedKeyFingerprint}`;
    const cached = cacheKey === undefined ? undefined : this.known.get(cacheKey);
    if (cached) return cached;
    const found = this.tryKeys(field, (keyIds) =>
      direct
        ? this.provider.decrypt!(blob, directContext({ table, field, key }), keyIds)
        : this.provider.decryptDataKey(blob, { ...field.context }, keyIds),
    );
    if (cacheKey !== undefined) {
      this.known.set(cacheKey, found);
      found.catch(() => this.known.delete(cacheKey));
    }
    return found;
  }

  private async tryKeys(
    field: ResolvedField,
    open: (keyIds: readonly string[]) => Promise<Uint8Array>,
  ): Promise<string> {
    for (const keyId of field.readKeyIds) {
      try {
        (await open([keyId])).fill(0);
        return keyId;
      } catch (error) {
        if (EncryptionError.is(error, "kms.incorrectKey")) continue;
        throw error;
      }
    }
    throw new EncryptionError("kms.incorrectKey", "The value is under none of the field's keys", {
      field: field.path,
    });
  }
}
