import * as redos from "redos-detector";

jest.mock("redos-detector", () => {
  const actual = jest.requireActual<typeof redos>("redos-detector");
  return { ...actual, isSafe: jest.fn(actual.isSafe) };
});
const isSafe = jest.mocked(redos.isSafe);
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

describe("the backtracking check's cost and failures", () => {
  beforeEach(() => isSafe.mockClear());

  it("checks each distinct pattern once, however many fields and sources repeat it", () => {
    const pattern = "^once#([0-9a-f]{8}-[0-9a-f]{4})#";
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, {}]));
    resolveConfig({
      keyId: "k",
      keyProvider: provider,
      tables: {
        Users: {
          partitionKey: "pk",
          keyId: { attribute: "pk", pattern, keys: { acme: "k" }, default: "k" },
          context: { tenant: { attribute: "pk", pattern } },
          fields,
        },
      },
    });
    expect(isSafe.mock.calls.filter(([re]) => String(re).includes("once#"))).toHaveLength(1);
  });

  it("a pattern the checker cannot read (it throws) is a config error, never taken as safe", () => {
    isSafe.mockImplementationOnce(() => {
      throw new SyntaxError("Expected atom");
    });
    const error = failure(() => resolveWith("^unreadable#([^#]+)#", "keyId"));
    expect(error?.code).toBe("config.invalid");
  });
});
