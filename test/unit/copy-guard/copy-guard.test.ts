import { EncryptionError, LocalKeyProvider, type FieldEncryptionConfig } from "../../../src";
import { resolveConfig } from "../../../src/config/resolve-config";
import { CopyNeedles } from "../../../src/copy-guard/copy-needles";
import { findCopy } from "../../../src/copy-guard/find-copy";
import { guardItems, guardRequest } from "../../../src/copy-guard/guard-request";
import { locationText } from "../../../src/copy-guard/value-search";
import { configError } from "../../support/config-error";

const provider = new LocalKeyProvider({ keys: { k: new Uint8Array(32) } });
const config = (fields: unknown, extra: Record<string, unknown> = {}) =>
  ({
    keyId: "k",
    keyProvider: provider,
    tables: { Users: { partitionKey: "pk", fields } },
    ...extra,
  }) as unknown as FieldEncryptionConfig;

function needlesFor(fields: Record<string, unknown>, values: Record<string, unknown>, top = {}) {
  const table = resolveConfig(config(fields, top)).tables.get("Users")!;
  const needles = new CopyNeedles();
  for (const [path, value] of Object.entries(values))
    needles.add(
      table,
      table.fields.find((f) => f.path === path)!,
      value,
    );
  return needles;
}

function refusal(run: () => void): EncryptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EncryptionError);
    return error as EncryptionError;
  }
  throw new Error("not refused");
}

describe("copy guard: needles", () => {
  it("takes the string and number leaves of a value, trimmed and lowercased, of at least minLength characters", () => {
    const needles = needlesFor(
      { doc: {} },
      {
        doc: {
          M: {
            a: { S: "  Jane.Doe@Example.COM " },
            n: { N: "1234567" },
            short: { S: "abcde" },
            l: { L: [{ SS: ["SetValue1", "x"] }, { NS: ["7654321"] }] },
            b: { B: "AAAAAAAAAAAA" },
            t: { BOOL: true },
          },
        },
      },
    );
    expect(needles.needles.map((n) => n.text).sort()).toEqual(
      ["jane.doe@example.com", "1234567", "setvalue1", "7654321"].sort(),
    );
  });

  it("a field with copyGuard: false gives no needle; a field's minLength overrides the config's", () => {
    expect(
      needlesFor({ ssn: { copyGuard: false } }, { ssn: { S: "123-45-6789" } }).needles,
    ).toEqual([]);
    expect(
      needlesFor({ zip: { copyGuard: { minLength: 5 } } }, { zip: { S: "94107" } }).needles,
    ).toHaveLength(1);
    expect(
      needlesFor({ zip: {} }, { zip: { S: "94107" } }, { copyGuard: { minLength: 5 } }).needles,
    ).toHaveLength(1);
    expect(needlesFor({ zip: {} }, { zip: { S: "94107" } }).needles).toEqual([]);
  });

  it("minLength counts UTF-8 bytes: a 2-character CJK name (6 bytes) is searched, 5 bytes of accented text are not", () => {
    expect(needlesFor({ name: {} }, { name: { S: "山田" } }).needles.map((n) => n.text)).toEqual([
      "山田",
    ]);
    expect(needlesFor({ name: {} }, { name: { S: "山" } }).needles).toEqual([]);
    // "éabc": 4 characters, 5 bytes; "éabcd": 6 bytes.
    expect(needlesFor({ name: {} }, { name: { S: "éabc" } }).needles).toEqual([]);
    expect(needlesFor({ name: {} }, { name: { S: "éabcd" } }).needles).toHaveLength(1);
  });
});

describe("copy guard: the search", () => {
  const needles = needlesFor({ email: {} }, { email: { S: "jane@example.com" } });

  it("finds a needle anywhere in a text, ignoring case", () => {
    expect(findCopy(needles.needles, "$APP#EMAIL_JANE@EXAMPLE.COM#X")?.field).toBe("email");
    expect(findCopy(needles.needles, "jane@example.co")).toBeUndefined();
  });

  it("walks every AttributeValue position of a request and names where the copy is", () => {
    const body = {
      TransactItems: [
        { Put: { TableName: "Users", Item: { pk: { S: "1" } } } },
        {
          Update: {
            TableName: "Other",
            Key: { pk: { S: "2" } },
            UpdateExpression: "SET jane@example.com = :v",
            ExpressionAttributeNames: { "#n": "name" },
            ExpressionAttributeValues: { ":v": { M: { a: { L: [{ S: "x Jane@Example.com" }] } } } },
          },
        },
      ],
    };
    const error = refusal(() => guardRequest(needles, body));
    expect(error).toMatchObject({
      code: "plaintext.copied",
      table: "Users",
      field: "email",
      attribute: 'TransactItems[1].Update.ExpressionAttributeValues[":v"].a[0]',
    });
    expect(error.message).not.toContain("jane@example.com");
  });

  it.each([
    [
      "Expected Value",
      { Expected: { a: { Value: { S: "jane@example.com" } } } },
      "Expected.a.Value",
    ],
    [
      "a legacy filter's AttributeValueList",
      { ScanFilter: { a: { AttributeValueList: [{ S: "x" }, { S: "jane@example.com" }] } } },
      "ScanFilter.a.AttributeValueList[1]",
    ],
    [
      "AttributeUpdates",
      { AttributeUpdates: { a: { Value: { SS: ["jane@example.com"] } } } },
      "AttributeUpdates.a.Value[0]",
    ],
    [
      "ExclusiveStartKey",
      { ExclusiveStartKey: { pk: { S: "jane@example.com" } } },
      "ExclusiveStartKey.pk",
    ],
    [
      "BatchGet Keys",
      { RequestItems: { T: { Keys: [{ pk: { S: "jane@example.com" } }] } } },
      "RequestItems.T.Keys[0].pk",
    ],
    ["a number", { Item: { n: { N: "1" } }, Key: { pk: { S: "JANE@example.com" } } }, "Key.pk"],
  ])("%s", (_, body, attribute) => {
    expect(refusal(() => guardRequest(needles, body)).attribute).toBe(attribute);
  });

  it("skips the values the library produced, by identity, and PartiQL literals equal to a produced beacon", () => {
    const own = needlesFor({ email: {} }, { email: { S: "abcdef" } });
    const produced = { S: "ENC:xxabcdefxx" };
    own.skip(produced);
    own.producedText.add("00abcdef00");
    expect(() =>
      guardRequest(own, {
        Item: { email: produced },
        Statement: `SELECT * FROM "T" WHERE "b" = '00abcdef00'`,
      }),
    ).not.toThrow();
    expect(() => guardRequest(own, { Item: { other: { S: "ENC:xxabcdefxx" } } })).toThrow(
      EncryptionError,
    );
  });

  it("does not search table names, top-level names or expression text; searches nested names and binary values", () => {
    expect(() =>
      guardRequest(needles, {
        TableName: "jane@example.com",
        ConditionExpression: "jane@example.com",
        Item: { a: { B: Buffer.from("no copy").toString("base64") } },
      }),
    ).not.toThrow();
    expect(() =>
      guardRequest(needles, {
        UpdateExpression: "SET #a = :v",
        ExpressionAttributeNames: { "#a": "jane@example.com" },
      }),
    ).not.toThrow();
    expect(
      refusal(() =>
        guardRequest(needles, {
          UpdateExpression: "SET #s.#a = :v",
          ExpressionAttributeNames: { "#s": "seen", "#a": "jane@example.com" },
        }),
      ).attribute,
    ).toBe('ExpressionAttributeNames["#a"]');
    expect(
      refusal(() =>
        guardRequest(needles, {
          Item: { a: { B: Buffer.from("x JANE@example.com").toString("base64") } },
        }),
      ).attribute,
    ).toBe("Item.a");
  });

  it("case folding finds ß as SS, and digit needles only where no digit is beside them", () => {
    const street = needlesFor({ s: {} }, { s: { S: "Straße 1" } });
    expect(findCopy(street.needles, "STRASSE 1")).toBeDefined();
    const digits = needlesFor({ n: {} }, { n: { N: "120000" } });
    expect(digits.needles[0]!.digits).toBe(true);
    expect(findCopy(digits.needles, "1200000")).toBeUndefined();
    expect(findCopy(digits.needles, "11200000 and 120000")).toBeDefined();
    expect(findCopy(digits.needles, "x120000y")).toBeDefined();
  });

  it("many needles are looked up by window and find the same copies", () => {
    const many = needlesFor(
      { l: {} },
      { l: { L: Array.from({ length: 40 }, (_, i) => ({ S: `value-${i}-xyz` })) } },
    );
    expect(many.needles).toHaveLength(40);
    expect(findCopy(many.needles, "prefix VALUE-17-XYZ suffix")?.text).toBe("value-17-xyz");
    expect(findCopy(many.needles, "value-40-xyz")).toBeUndefined();
    const numbers = needlesFor(
      { l: {} },
      { l: { NS: Array.from({ length: 40 }, (_, i) => String(100000 + i)) } },
    );
    expect(findCopy(numbers.needles, "1000050")).toBeUndefined();
    expect(findCopy(numbers.needles, "#100005#")?.text).toBe("100005");
  });

  it("a statement the lexer refuses is searched whole", () => {
    expect(
      refusal(() => guardRequest(needles, { Statement: "-- jane@example.com" })).attribute,
    ).toBe("Statement");
  });

  it("guardItems searches each item only for its own values", () => {
    const table = resolveConfig(config({ email: {} })).tables.get("Users")!;
    const a = { pk: { S: "a" }, email: { S: "ENC:1" } };
    const b = { pk: { S: "b" }, email: { S: "ENC:2" }, note: { S: "jane@example.com" } };
    const own = new CopyNeedles();
    own.add(table, table.fields[0]!, { S: "jane@example.com" }, a);
    expect(() => guardItems(own, [a, b])).not.toThrow();
    own.add(table, table.fields[0]!, { S: "jane@example.com" }, b);
    expect(refusal(() => guardItems(own, [a, b])).attribute).toBe("note");
  });

  it("a decimal or signed number is searched as text; only an all-digit needle needs no digit beside it", () => {
    const decimal = needlesFor({ n: {} }, { n: { N: "12345.6" } });
    expect(decimal.needles[0]!.digits).toBe(false);
    expect(findCopy(decimal.needles, "912345.67")?.text).toBe("12345.6");
    const signed = needlesFor({ n: {} }, { n: { N: "-1234567" } });
    expect(signed.needles[0]!.digits).toBe(false);
    expect(findCopy(signed.needles, "9-12345678")).toBeDefined();
  });

  it("an all-digit needle at the very start or end of a text is found", () => {
    const digits = needlesFor({ n: {} }, { n: { N: "1234567" } });
    expect(findCopy(digits.needles, "1234567-x")).toBeDefined();
    expect(findCopy(digits.needles, "x-1234567")).toBeDefined();
    expect(findCopy(digits.needles, "1234567")).toBeDefined();
  });

  it("a short needle is found in a short text whatever the order of the needles", () => {
    const needles = needlesFor(
      { a: {}, b: {} },
      { a: { S: "k7q2zp" }, b: { S: "a much longer secret value" } },
    );
    expect(findCopy(needles.needles, "k7q2zp")?.field).toBe("a");
    expect(findCopy([...needles.needles].reverse(), "K7Q2ZP")?.field).toBe("a");
  });

  it("a non-ASCII text is case-folded before the search: an ASCII needle is found in it", () => {
    const name = needlesFor({ n: {} }, { n: { S: "Grossmann" } });
    expect(findCopy(name.needles, "Großmann & Co")).toBeDefined();
    expect(findCopy(name.needles, "GROẞMANN")).toBeDefined();
  });

  it("many needles (the automaton): a needle inside another's path, and a match after a partial one, are found", () => {
    const values = [
      "zzabcdefgh",
      "abcdef",
      "aaaaab",
      ...Array.from({ length: 20 }, (_, i) => `filler-${i}-qq`),
    ];
    const many = needlesFor({ l: {} }, { l: { L: values.map((v) => ({ S: v })) } });
    expect(many.needles.length).toBeGreaterThan(16);
    // "abcdef" ends inside the path of "zzabcdefgh": found through its dictionary link.
    expect(findCopy(many.needles, "zzabcdefxx")?.text).toBe("abcdef");
    // After "aaaaa" the sixth "a" is no step on "aaaaab": the scan falls back, and still finds it.
    expect(findCopy(many.needles, "xaaaaaab")?.text).toBe("aaaaab");
    expect(findCopy(many.needles, "zzabcdexx")).toBeUndefined();
  });

  it("guardItems with many needles: equal values of different items are each item's own needle", () => {
    const table = resolveConfig(config({ email: {}, ssn: {} })).tables.get("Users")!;
    const [email, ssn] = [table.fields[0]!, table.fields[1]!];
    const items = Array.from({ length: 20 }, (_, i) => ({
      pk: { S: `u${i}` },
      email: { S: "ENC:e" },
      ssn: { S: "ENC:s" },
    }));
    const needles = new CopyNeedles();
    items.forEach((item, i) => {
      needles.add(table, email, { S: `user-${i}@example.com` }, item);
      needles.add(table, ssn, { S: "123-45-6789" }, item);
    });
    expect(needles.needles.length).toBeGreaterThanOrEqual(32);
    (items[19] as Record<string, unknown>).note = { S: "ssn 123-45-6789" };
    expect(refusal(() => guardItems(needles, items)).attribute).toBe("note");
  });

  it("writes locations as paths", () => {
    expect(locationText(["A", 0, "b c", { note: "n" }])).toBe('A[0]["b c"] (n)');
  });
});

describe("copy guard: config", () => {
  it.each([
    [{ copyGuard: false }, "config.copyGuard: the copy guard can be switched off only per field"],
    [{ copyGuard: { minLength: 0 } }, "config.copyGuard.minLength: expected a positive integer"],
    [{ copyGuard: { min: 3 } }, "config.copyGuard.min: unknown option"],
    [{ copyGuard: true }, "config.copyGuard: expected an object"],
  ])("refuses %j at the top level", (extra, message) => {
    expect(configError(config({ ssn: {} }, extra))).toContain(message);
  });

  it.each([
    [{ copyGuard: true }, "tables.Users.fields.ssn.copyGuard: expected an object"],
    [
      { copyGuard: { minLength: 2.5 } },
      "tables.Users.fields.ssn.copyGuard.minLength: expected a positive integer",
    ],
  ])("refuses %j on a field", (field, message) => {
    expect(configError(config({ ssn: field }))).toContain(message);
  });

  it("resolves the default, the config's and a field's", () => {
    const fields = (top = {}) =>
      resolveConfig(
        config({ a: {}, b: { copyGuard: { minLength: 9 } }, c: { copyGuard: false } }, top),
      )
        .tables.get("Users")!
        .fields.map((f) => f.copyGuard);
    expect(fields()).toEqual([{ minLength: 6 }, { minLength: 9 }, false]);
    expect(fields({ copyGuard: { minLength: 4 } })).toEqual([
      { minLength: 4 },
      { minLength: 9 },
      false,
    ]);
  });
});
