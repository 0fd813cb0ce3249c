import { EncryptionError, LocalKeyProvider } from "../../../src";
import { resolveConfig } from "../../../src/config/resolve-config";

const provider = new LocalKeyProvider({ keys: { k: Buffer.alloc(32, 1) } });

function resolveWith(pattern: string, where: "keyId" | "context") {
  const source = { attribute: "pk", pattern };
  return resolveConfig({
    keyId: "k",
    keyProvider: provider,
    tables: {
      Users: {
        partitionKey: "pk",
        ...(where === "keyId"
          ? { keyId: { ...source, keys: { acme: "k" } } }
          : { context: { tenant: source } }),
        fields: { ssn: {} },
      },
    },
  });
}

function failure(run: () => unknown): EncryptionError | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EncryptionError);
    return error as EncryptionError;
  }
  return undefined;
}

describe("tenant patterns that can backtrack catastrophically", () => {
  it.each([
    ["a repeated group of a repetition (exponential)", "^(?:[a-z]+)*#([a-z]+)#"],
    ["a repeated capture of a repetition", "^([a-z]+)+$"],
    ["a repeated choice between equal alternatives", "^(?:a|a)*#([^#]+)"],
    ["two adjacent repetitions of one class, repeated", "^(?:x+x+)+y([a-z])"],
  ])("%s is a config error, in keyId and in context", (_, pattern) => {
    for (const where of ["keyId", "context"] as const) {
      const error = failure(() => resolveWith(pattern, where));
      expect(error?.code).toBe("config.invalid");
    }
  });

  it.each([
    "^tenant#([^#]+)#",
    "^([^#]+)#",
    "^TENANT#([a-z0-9-]+)#ORDER#.*",
    "^t_(\\w+)",
    "^tenant#(\\p{Lu}+)#",
    "^(?:tenant|org)#([^#]+)",
    "^(.+)$",
  ])("the usual shape %s is accepted", (pattern) => {
    expect(failure(() => resolveWith(pattern, "keyId"))).toBeUndefined();
    expect(failure(() => resolveWith(pattern, "context"))).toBeUndefined();
  });
});
