import { EncryptionError, type FieldEncryptionConfig, LocalKeyProvider } from "../../../src";
import { resolveConfig } from "../../../src/config/resolve-config";

const provider = new LocalKeyProvider({
  keys: { k: Buffer.alloc(32, 1), acme: Buffer.alloc(32, 2) },
});

function resolve(fields: Record<string, unknown>) {
  return resolveConfig({
    keyId: "k",
    keyProvider: provider,
    beaconKey: { keyId: "k", wrapped: "AAAA" },
    tables: { Users: { partitionKey: "pk", fields } },
  } as FieldEncryptionConfig);
}

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof EncryptionError ? error.code : "not an EncryptionError";
  }
  return undefined;
}

describe("a beacon attribute that is also a tenant attribute", () => {
  it.each([
    ["the key's choosing attribute", { keyId: { attribute: "tenantId", keys: { acme: "acme" } } }],
    ["the context's tenant attribute", { context: { tenant: { attribute: "tenantId" } } }],
  ])("is a config error when it is %s of another field", (_, tenancy) => {
    expect(
      code(() =>
        resolve({
          email: { beacon: { length: 16, attribute: "tenantId" } },
          ssn: tenancy,
        }),
      ),
    ).toBe("config.invalid");
  });

  it("is a config error when it is the same field's own tenant attribute", () => {
    expect(
      code(() =>
        resolve({
          email: {
            beacon: { length: 16, attribute: "tenantId" },
            keyId: { attribute: "tenantId", keys: { acme: "acme" } },
          },
        }),
      ),
    ).toBe("config.invalid");
  });

  it("a beacon beside a tenant attribute of another name is accepted", () => {
    expect(
      code(() =>
        resolve({
          email: { beacon: { length: 16 } },
          ssn: { keyId: { attribute: "tenantId", keys: { acme: "acme" } } },
        }),
      ),
    ).toBeUndefined();
  });
});
