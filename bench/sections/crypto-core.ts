import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from "@aws-crypto/client-node";
import { resolveConfig } from "../../src/config/resolve-config";
import { ItemCipher } from "../../src/engine/item-cipher";
import { LocalKeyProvider } from "../../src";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";

const VALUES: Record<string, unknown> = {
  "11 B string": { S: "123-45-6789" },
  "200 B string": { S: "x".repeat(200) },
  "4 KB string": { S: "y".repeat(4096) },
  "nested map": {
    M: {
      number: { S: "4111111111111111" },
      expiry: { S: "12/30" },
      holder: { M: { name: { S: "Ada Lovelace" }, zip: { S: "94107" } } },
      tags: { SS: ["a", "b"] },
    },
  },
};

/** Encrypt + decrypt of one value: the library's own path against raw AES-GCM and the AWS Encryption SDK. */
export async function cryptoCore(options: HarnessOptions): Promise<Comparison[]> {
  const config = resolveConfig({
    keyId: "bench",
    keyProvider: new LocalKeyProvider({ keys: { bench: randomBytes(32) } }),
    tables: { Bench: { partitionKey: "pk", fields: { v: {} } } },
  });
  const cipher = new ItemCipher(config);
  const table = config.tables.get("Bench")!;
  const rawKey = createSecretKey(randomBytes(32));

  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: "bench",
    keyNamespace: "bench",
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cmm = new NodeCachingMaterialsManager({
    backingMaterials: keyring,
    cache: getLocalCryptographicMaterialsCache(100),
    maxAge: 60_000,
    maxMessagesEncrypted: 1_000_000,
  });

  const results: Comparison[] = [];
  for (const [label, value] of Object.entries(VALUES)) {
    const plaintext = Buffer.from(JSON.stringify(value));
    const tasks: Record<string, () => unknown> = {
      "raw AES-256-GCM": () => {
        const iv = randomBytes(12);
        const c = createCipheriv("aes-256-gcm", rawKey, iv);
        const body = Buffer.concat([c.update(plaintext), c.final()]);
        const d = createDecipheriv("aes-256-gcm", rawKey, iv);
        d.setAuthTag(c.getAuthTag());
        return Buffer.concat([d.update(body), d.final()]);
      },
      "dynamodb-field-encryption": async () => {
        const item = { pk: { S: "user#1" }, v: value } as never;
        await cipher.encryptItems([{ table, item }]);
        await cipher.decryptItems([{ table, item }]);
      },
      "Encryption SDK, cached, unsigned": async () => {
        const { result } = await encrypt(cmm, plaintext, {
          suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
          plaintextLength: plaintext.length,
        });
        return decrypt(cmm, result);
      },
    };
    if (label === "11 B string") {
      tasks["Encryption SDK, default (signed)"] = async () => {
        const { result } = await encrypt(keyring, plaintext);
        return decrypt(keyring, result);
      };
    }
    const c = await compare(
      "crypto core",
      `encrypt + decrypt, ${label}`,
      tasks,
      "raw AES-256-GCM",
      options,
    );
    const ours = c.ratio["dynamodb-field-encryption"]!;
    const esdk = c.ratio["Encryption SDK, cached, unsigned"]! / ours;
    results.push(
      label === "11 B string"
        ? withTarget(
            c,
            `≥ 50% of raw AES-GCM throughput (ratio ≤ 2.0; got ${ours.toFixed(2)}), ≥ 20× the cached Encryption SDK (got ${esdk.toFixed(1)}×)`,
            ours <= 2 && esdk >= 20,
          )
        : c,
    );
  }
  results.push(await pageDecrypt(options));
  return results;
}

/**
 * The read path's crypto per value: decrypting a 1,000-item page with 2
 * encrypted fields through the engine, against bare `createDecipheriv…final`
 * on the same 2,000 values. Both sides copy each item once, as a response
 * would be walked.
 */
async function pageDecrypt(options: HarnessOptions): Promise<Comparison> {
  const config = resolveConfig({
    keyId: "bench",
    keyProvider: new LocalKeyProvider({ keys: { bench: randomBytes(32) } }),
    tables: { Bench: { partitionKey: "pk", sortKey: "sk", fields: { ssn: {}, email: {} } } },
  });
  const cipher = new ItemCipher(config);
  const table = config.tables.get("Bench")!;
  const items = Array.from({ length: 1000 }, (_, i) => ({
    pk: { S: `user#${i}` },
    sk: { S: "profile" },
    name: { S: `User ${i}` },
    ssn: { S: `123-45-${String(i).padStart(4, "0")}` },
    email: { S: `user${i}@example.com` },
  })) as Record<string, { S: string }>[];
  await cipher.encryptItems(items.map((item) => ({ table, item: item as never })));

  const rawKey = createSecretKey(randomBytes(32));
  const raw = items.map((item) =>
    ["ssn", "email"].map((name) => {
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", rawKey, iv);
      const body = Buffer.concat([c.update(`x${item[name]!.S}`), c.final()]);
      return { iv, body, tag: c.getAuthTag() };
    }),
  );
  const c = await compare(
    "crypto core",
    "decrypt a 1,000-item page, 2 encrypted fields (2,000 values)",
    {
      "bare createDecipheriv…final": () => {
        let n = 0;
        for (let i = 0; i < items.length; i++) {
          const copy = { ...items[i] };
          for (const v of raw[i]!) {
            const d = createDecipheriv("aes-256-gcm", rawKey, v.iv);
            d.setAuthTag(v.tag);
            const out = Buffer.concat([d.update(v.body), d.final()]);
            n += out.length + Object.keys(copy).length;
          }
        }
        return n;
      },
      "ItemCipher.decryptItems": () =>
        cipher.decryptItems(items.map((item) => ({ table, item: { ...item } as never }))),
    },
    "bare createDecipheriv…final",
    options,
  );
  const ratio = c.ratio["ItemCipher.decryptItems"]!;
  return withTarget(
    c,
    `≤ 1.5× bare createDecipheriv…final per value (got ${ratio.toFixed(2)})`,
    ratio <= 1.5,
  );
}
