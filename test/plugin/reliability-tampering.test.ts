/**
 * Reliability 3: tampering. Every single-bit flip, truncation and extension of
 * a stored value, changed base64 text, unknown versions, and values swapped
 * between fields, items and tables: all detected as ciphertext.* or
 * kms.invalidCiphertext, and never wrong plaintext. Both schemes.
 */
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { EncryptionError, fieldEncryption } from "../../src";
import { FakeDynamoDB } from "../support/fake-dynamodb";
import { usersConfig } from "../support/plugin-setup";

const DETECTED = /^(ciphertext\.|kms\.invalidCiphertext$|key\.unknownLocalKey$|kms\.incorrectKey$)/;
const tally = { mutations: 0, detected: 0 };
afterAll(() =>
  process.stdout.write(
    `tampering: ${tally.mutations} mutations tried, ${tally.detected} detected\n`,
  ),
);

describe.each(["envelope", "kms"] as const)("tampering with stored values, scheme %s", (scheme) => {
  const fields = { ssn: { scheme }, taxId: { scheme } };
  const fake = new FakeDynamoDB({ Users: ["pk", "sk"], Others: ["pk", "sk"] });
  const client = fake.client();
  const table = { partitionKey: "pk", sortKey: "sk", fields };
  client.middlewareStack.use(
    fieldEncryption({ ...usersConfig(), tables: { Users: table, Others: table } }),
  );
  const key = (pk: string) => ({ pk: { S: pk }, sk: { S: "s" } });
  const slot = (pk: string) => JSON.stringify([{ S: pk }, { S: "s" }]);
  let original = "";

  beforeAll(async () => {
    await client.send(
      new PutItemCommand({
        TableName: "Users",
        Item: { ...key("a"), ssn: { S: "123-45-6789" }, taxId: { S: "98-7654321" } },
      }),
    );
    await client.send(
      new PutItemCommand({ TableName: "Users", Item: { ...key("b"), ssn: { S: "111-11-1111" } } }),
    );
    original = fake.stored("Users", key("a"))!.ssn.S as string;
  });

  async function expectDetected(
    value: string,
    where: { table?: string; pk?: string; field?: "ssn" | "taxId" } = {},
  ): Promise<void> {
    const table = where.table ?? "Users";
    const pk = where.pk ?? "a";
    const field = where.field ?? "ssn";
    const base = fake.stored(table, key(pk)) ?? key(pk);
    fake.tables.get(table)!.set(slot(pk), { ...base, [field]: { S: value } });
    tally.mutations++;
    const outcome = await client.send(new GetItemCommand({ TableName: table, Key: key(pk) })).then(
      (out) => out,
      (e: unknown) => e,
    );
    if (!(outcome instanceof EncryptionError))
      throw new Error(
        `mutation not detected; read back ${JSON.stringify((outcome as { Item?: unknown }).Item?.[field as never])}`,
      );
    expect(outcome.code).toMatch(DETECTED);
    tally.detected++;
  }

  afterEach(() => {
    const item = fake.stored("Users", key("a"))!;
    fake.tables.get("Users")!.set(slot("a"), { ...item, ssn: { S: original } });
  });

  it("every single-bit flip", async () => {
    const bytes = Buffer.from(original.slice(4), "base64");
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await expectDetected(`ENC:${flipped.toString("base64")}`);
    }
  });

  it("every truncation and extensions", async () => {
    const bytes = Buffer.from(original.slice(4), "base64");
    for (let length = 1; length < bytes.length; length++)
      await expectDetected(`ENC:${bytes.subarray(0, length).toString("base64")}`);
    for (const extra of [Buffer.of(0), Buffer.of(0xff, 1, 2), Buffer.alloc(16, 7)])
      await expectDetected(`ENC:${Buffer.concat([bytes, extra]).toString("base64")}`);
  });

  it("changed base64 text, unknown versions and garbage", async () => {
    const text = original.slice(4);
    const variants = [
      ` ${text}`,
      `${text}\n`,
      text.replace(/\+/g, "-").replace(/\//g, "_"),
      text.replace(/=+$/, ""),
      `${text}=`,
      text.slice(0, 10) + "!" + text.slice(11),
      text.slice(0, 20) + (text[20] === "A" ? "B" : "A") + text.slice(21),
      "",
      "not base64 at all",
    ].filter((v) => v !== text);
    for (const v of variants) await expectDetected(`ENC:${v}`);
    const bytes = Buffer.from(text, "base64");
    for (const version of [0x00, 0x02, 0x7f, 0xdd, 0xe0, 0xff]) {
      const changed = Buffer.from(bytes);
      changed[0] = version;
      await expectDetected(`ENC:${changed.toString("base64")}`);
    }
  });

  it("values swapped between fields, items and tables", async () => {
    await expectDetected(original, { field: "taxId" });
    await expectDetected(original, { pk: "b" });
    fake.tables.get("Others")!.set(slot("a"), { ...key("a") });
    await expectDetected(original, { table: "Others" });
    const other = fake.stored("Users", key("b"))!.ssn.S as string;
    await expectDetected(other, { pk: "a" });
  });
});
