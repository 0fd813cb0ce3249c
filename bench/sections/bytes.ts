import { createSecretKey, randomBytes } from "node:crypto";
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from "@aws-crypto/client-node";
import { aadParts, associatedDataFrom } from "../../src/format/binding";
import { seal } from "../../src/format/envelope";
import { sealPydynox } from "../../src/format/pydynox-format";
import { encodeValue } from "../../src/format/value-codec";
import { KmsTestServer } from "../../src/testing";
import { EncryptCommand } from "@aws-sdk/client-kms";

/** Stored sizes: an 11-byte SSN and a 1 KB map, in each format. */
export async function bytes(): Promise<Record<string, unknown>> {
  const key = createSecretKey(randomBytes(32));
  const realKmsBlob = randomBytes(184); // what AWS KMS returns for a 256-bit data key
  const kms = await KmsTestServer.start();
  const { keyId } = kms.createKey();
  const client = kms.client();
  const testBlob = (
    await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: randomBytes(32) }))
  ).CiphertextBlob!;
  const aad = associatedDataFrom(aadParts(0xdf, "Users", "ssn", {}), [
    { name: "pk", value: Buffer.from("Suser#1") },
  ]);
  const { encrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: "k",
    keyNamespace: "ns",
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const map = {
    M: Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`attribute${i}`, { S: "v".repeat(36) }]),
    ),
  };
  const cases = { "11-byte SSN": { S: "123-45-6789" }, "1 KB map": map } as const;
  const out: Record<string, Record<string, number>> = {};
  for (const [label, value] of Object.entries(cases)) {
    const text = "S" in value ? value.S : JSON.stringify(value); // pydynox stores strings only
    const encoded = encodeValue(value, { table: "Users", field: "ssn" });
    const direct = (
      await client.send(
        new EncryptCommand({
          KeyId: keyId,
          Plaintext: encoded,
          EncryptionContext: {
            "dfe:table": "Users",
            "dfe:field": "ssn",
            "dfe:key": "0".repeat(64),
          },
        }),
      )
    ).CiphertextBlob!;
    const esdkSigned = (await encrypt(keyring, Buffer.from(text))).result.length;
    const esdkUnsigned = (
      await encrypt(keyring, Buffer.from(text), {
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      })
    ).result.length;
    out[label] = {
      "plaintext bytes": Buffer.byteLength(text),
      "this library, AWS KMS data key (184-byte blob)": seal(key, realKmsBlob, encoded, aad).length,
      "pydynox format, AWS KMS data key (184-byte blob)": sealPydynox(key, realKmsBlob, text)
        .length,
      "this library, KMS test server data key": seal(key, testBlob, encoded, aad).length,
      "direct KMS scheme, KMS test server": 4 + Math.ceil((direct.length + 1) / 3) * 4,
      "Encryption SDK message, raw AES keyring, signed suite (binary)": esdkSigned,
      "Encryption SDK message, raw AES keyring, unsigned suite (binary)": esdkUnsigned,
    };
  }
  client.destroy();
  await kms.stop();
  const ssn = out["11-byte SSN"]!;
  return {
    sizes: out,
    targets: [
      {
        description: `stored size of an 11-byte SSN no larger than the pydynox format (${ssn["this library, AWS KMS data key (184-byte blob)"]} vs ${ssn["pydynox format, AWS KMS data key (184-byte blob)"]} bytes)`,
        met:
          ssn["this library, AWS KMS data key (184-byte blob)"]! <=
          ssn["pydynox format, AWS KMS data key (184-byte blob)"]!,
      },
    ],
  };
}
