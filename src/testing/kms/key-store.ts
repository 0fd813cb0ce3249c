import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from "node:crypto";
import { KmsFault } from "./kms-fault";

/** The state KMS keeps for one symmetric key. */
export interface TestKey {
  keyId: string;
  arn: string;
  description: string;
  enabled: boolean;
  pendingDeletion: boolean;
  creationDate: Date;
  material: Buffer;
}

const BLOB_MAGIC = 0x4b; // "K"
const KEY_ID_BYTES = 36; // a UUID in text form
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Canonical bytes of an encryption context: entries sorted by key, so order never matters. */
function contextBytes(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), "utf8");
}

/**
 * Keys, aliases and ciphertext, as KMS keeps them. A ciphertext blob is
 * `"K" | key id | iv | AES-256-GCM(plaintext) | tag`, authenticated with the
 * key id and the encryption context, so it records which key made it and any
 * change to the blob or the context is detected.
 */
export class KeyStore {
  private readonly keys = new Map<string, TestKey>();
  private readonly aliases = new Map<string, string>();

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  createKey(description = ""): TestKey {
    const keyId = randomUUID();
    const key: TestKey = {
      keyId,
      arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
      description,
      enabled: true,
      pendingDeletion: false,
      creationDate: new Date(),
      material: randomBytes(32),
    };
    this.keys.set(keyId, key);
    return key;
  }

  createAlias(aliasName: string, targetKeyId: string): void {
    if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName)) {
      throw new KmsFault(
        "ValidationException",
        `Alias name ${aliasName} is not valid: it must begin with alias/`,
      );
    }
    if (aliasName.startsWith("alias/aws/")) {
      throw new KmsFault(
        "NotAuthorizedException",
        "Alias names that begin with alias/aws/ are reserved",
      );
    }
    if (this.aliases.has(aliasName))
      throw new KmsFault(
        "AlreadyExistsException",
        `An alias with the name ${this.aliasArn(aliasName)} already exists`,
      );
    const key = this.resolve(targetKeyId, { aliasesAllowed: false });
    this.aliases.set(aliasName, key.keyId);
  }

  listAliases(keyId?: string): { AliasName: string; AliasArn: string; TargetKeyId: string }[] {
    const filter =
      keyId === undefined ? undefined : this.resolve(keyId, { aliasesAllowed: false }).keyId;
    return [...this.aliases.entries()]
      .filter(([, target]) => filter === undefined || target === filter)
      .map(([name, target]) => ({
        AliasName: name,
        AliasArn: this.aliasArn(name),
        TargetKeyId: target,
      }));
  }

  aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  /** Finds a key by key ID, key ARN, alias name or alias ARN. */
  resolve(id: string | undefined, { aliasesAllowed = true } = {}): TestKey {
    if (!id) throw new KmsFault("ValidationException", "KeyId is required");
    let keyId = id;
    const arn = /^arn:aws:kms:([^:]+):(\d{12}):(key\/.+|alias\/.+)$/.exec(id);
    if (arn) {
      if (arn[1] !== this.region || arn[2] !== this.accountId)
        throw new KmsFault("NotFoundException", `Key '${id}' does not exist`);
      keyId = arn[3]!.startsWith("key/") ? arn[3]!.slice(4) : arn[3]!;
    }
    if (keyId.startsWith("alias/")) {
      if (!aliasesAllowed)
        throw new KmsFault("NotFoundException", `Alias ${id} cannot be used here`);
      const target = this.aliases.get(keyId);
      if (!target)
        throw new KmsFault("NotFoundException", `Alias ${this.aliasArn(keyId)} is not found.`);
      keyId = target;
    }
    const key = this.keys.get(keyId);
    if (!key)
      throw new KmsFault(
        "NotFoundException",
        `Key '${this.region}:${this.accountId}:key/${keyId}' does not exist`,
      );
    return key;
  }

  /** The key with this key ID, if any. */
  find(keyId: string | undefined): TestKey | undefined {
    return keyId === undefined ? undefined : this.keys.get(keyId);
  }

  /** Like resolve, and the key must be usable for cryptographic operations. */
  usable(id: string | undefined): TestKey {
    const key = this.resolve(id);
    if (key.pendingDeletion)
      throw new KmsFault("KMSInvalidStateException", `${key.arn} is pending deletion.`);
    if (!key.enabled) throw new KmsFault("DisabledException", `${key.arn} is disabled.`);
    return key;
  }

  encrypt(key: TestKey, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
    const iv = randomBytes(IV_BYTES);
    const keyIdBytes = Buffer.from(key.keyId, "latin1");
    const cipher = createCipheriv("aes-256-gcm", key.material, iv);
    cipher.setAAD(Buffer.concat([keyIdBytes, contextBytes(context)]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(BLOB_MAGIC), keyIdBytes, iv, body, cipher.getAuthTag()]);
  }

  /** Decrypts a blob; the key comes from the blob. Returns the key so callers can check it. */
  decrypt(
    blob: Buffer,
    context: Record<string, string> | undefined,
  ): { key: TestKey; plaintext: Buffer } {
    const invalid = () => new KmsFault("InvalidCiphertextException", "");
    if (blob.length < 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES || blob[0] !== BLOB_MAGIC)
      throw invalid();
    const keyIdBytes = blob.subarray(1, 1 + KEY_ID_BYTES);
    const key = this.keys.get(keyIdBytes.toString("latin1"));
    if (!key) throw invalid();
    if (key.pendingDeletion)
      throw new KmsFault("KMSInvalidStateException", `${key.arn} is pending deletion.`);
    if (!key.enabled) throw new KmsFault("DisabledException", `${key.arn} is disabled.`);
    const iv = blob.subarray(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + IV_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const body = blob.subarray(1 + KEY_ID_BYTES + IV_BYTES, blob.length - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key.material, iv);
    decipher.setAAD(Buffer.concat([keyIdBytes, contextBytes(context)]));
    decipher.setAuthTag(tag);
    try {
      return { key, plaintext: Buffer.concat([decipher.update(body), decipher.final()]) };
    } catch {
      throw invalid();
    }
  }

  /** The key id recorded in a blob, without decrypting it (for `Decrypt` with a `KeyId`). */
  keyIdOf(blob: Buffer): string | undefined {
    if (blob.length < 1 + KEY_ID_BYTES || blob[0] !== BLOB_MAGIC) return undefined;
    return blob.subarray(1, 1 + KEY_ID_BYTES).toString("latin1");
  }

  /** A short digest of key material, for tests that check which key made a blob. */
  static fingerprint(material: Buffer): string {
    return createHash("sha256").update(material).digest("hex").slice(0, 16);
  }
}
