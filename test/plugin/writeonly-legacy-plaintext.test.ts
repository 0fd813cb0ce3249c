import {
  ExecuteStatementCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { computeBeacons, fieldEncryption, type FieldEncryptionConfig } from "../../src";
import type { FakeDynamoDB } from "../support/fake-dynamodb";
import { localBeaconConfig } from "../support/beacon-setup";
import { setup, usersConfig } from "../support/plugin-setup";

const KEY = { pk: { S: "u1" }, sk: { S: "s" } };
const LEGACY = "123-45-6789";

/** A ReadWrite reader on the same fake table, to open what the WriteOnly client stored. */
async function readBack(fake: FakeDynamoDB, config: FieldEncryptionConfig) {
  const client = fake.client();
  client.middlewareStack.use(fieldEncryption(config));
  return (await client.send(new GetItemCommand({ TableName: "Users", Key: KEY }))).Item!;
}

/** A WriteOnly client that has just read an item holding legacy plaintext `ssn`. */
async function writeOnlyAfterLegacyRead(config = usersConfig({ mode: "WriteOnly" })) {
  const env = setup(config);
  env.fake.tables
    .get("Users")!
    .set(JSON.stringify([KEY.pk, KEY.sk]), { ...KEY, ssn: { S: LEGACY } });
  const read = (await env.client.send(new GetItemCommand({ TableName: "Users", Key: KEY }))).Item!;
  expect(read.ssn).toEqual({ S: LEGACY }); // WriteOnly returns stored values as they are
  return { ...env, read };
}

describe("a WriteOnly client writing back legacy plaintext it read", () => {
  it("a Put of the item it read stores ciphertext, which a reader opens to the same plaintext", async () => {
    const { fake, client, read } = await writeOnlyAfterLegacyRead();
    await client.send(new PutItemCommand({ TableName: "Users", Item: read }));
    const sent = fake.last("PutItem").body.Item;
    expect(sent.ssn.S).toMatch(/^ENC:/);
    expect(JSON.stringify(fake.requests.at(-1)!.body)).not.toContain(LEGACY);
    expect((await readBack(fake, usersConfig())).ssn).toEqual({ S: LEGACY });
  });

  it("through the Document client too", async () => {
    const { fake, doc } = setup(usersConfig({ mode: "WriteOnly" }));
    fake.tables.get("Users")!.set(JSON.stringify([KEY.pk, KEY.sk]), { ...KEY, ssn: { S: LEGACY } });
    const read = (
      await doc.send(new GetCommand({ TableName: "Users", Key: { pk: "u1", sk: "s" } }))
    ).Item!;
    await doc.send(new PutCommand({ TableName: "Users", Item: read }));
    expect(fake.last("PutItem").body.Item.ssn.S).toMatch(/^ENC:/);
  });

  it("an UpdateItem SET of the value it read sends ciphertext", async () => {
    const { fake, client, read } = await writeOnlyAfterLegacyRead();
    await client.send(
      new UpdateItemCommand({
        TableName: "Users",
        Key: KEY,
        UpdateExpression: "SET ssn = :v",
        ExpressionAttributeValues: { ":v": read.ssn! },
      }),
    );
    const sent = fake.last("UpdateItem").body;
    const values = Object.values<{ S?: string }>(sent.ExpressionAttributeValues);
    expect(values.some((v) => v.S?.startsWith("ENC:"))).toBe(true);
    expect(JSON.stringify(sent)).not.toContain(LEGACY);
  });

  it("a PartiQL UPDATE setting the value it read sends ciphertext", async () => {
    const { fake, client, read } = await writeOnlyAfterLegacyRead();
    await client.send(
      new ExecuteStatementCommand({
        Statement: `UPDATE "Users" SET ssn = ? WHERE pk = ? AND sk = ?`,
        Parameters: [read.ssn!, KEY.pk, KEY.sk],
      }),
    );
    const sent = fake.last("ExecuteStatement").body;
    expect(sent.Parameters[0].S).toMatch(/^ENC:/);
    expect(JSON.stringify(sent)).not.toContain(LEGACY);
  });

  it("a beaconed field's write-back gets the beacon of its real plaintext", async () => {
    const base = await localBeaconConfig();
    const users = base.tables.Users!;
    const config: FieldEncryptionConfig = {
      ...base,
      tables: { Users: { ...users, mode: "WriteOnly" } },
    };
    const { fake, client } = setup(config);
    const email = "jane@example.com";
    fake.tables
      .get("Users")!
      .set(JSON.stringify([KEY.pk, KEY.sk]), { ...KEY, email: { S: email } });
    const read = (await client.send(new GetItemCommand({ TableName: "Users", Key: KEY }))).Item!;
    await client.send(new PutItemCommand({ TableName: "Users", Item: read }));
    const sent = fake.last("PutItem").body.Item;
    expect(sent.email.S).toMatch(/^ENC:/);
    const { beacons } = await computeBeacons(base, "Users", { email: { S: email } });
    expect(sent.email__beacon).toEqual(beacons.email__beacon);
  });

  it.each([
    ["of a version no reader knows yet", 0xe0],
    ["in pydynox's format, which the field does not accept", 0x01],
  ])(
    "a stored ciphertext %s is written back unchanged, never encrypted as text",
    async (_, version) => {
      const stored = `ENC:${Buffer.concat([Buffer.from([version]), Buffer.alloc(40, 7)]).toString("base64")}`;
      const { fake, client } = setup(usersConfig({ mode: "WriteOnly" }));
      fake.tables
        .get("Users")!
        .set(JSON.stringify([KEY.pk, KEY.sk]), { ...KEY, ssn: { S: stored } });
      const read = (await client.send(new GetItemCommand({ TableName: "Users", Key: KEY }))).Item!;
      await client.send(new PutItemCommand({ TableName: "Users", Item: read }));
      expect(fake.last("PutItem").body.Item.ssn).toEqual({ S: stored });
    },
  );

  it("a stored ciphertext it read is still written back unchanged", async () => {
    const { fake, client } = setup(usersConfig({ mode: "WriteOnly" }));
    await client.send(
      new PutItemCommand({ TableName: "Users", Item: { ...KEY, ssn: { S: LEGACY } } }),
    );
    const stored = fake.last("PutItem").body.Item.ssn.S as string;
    const read = (await client.send(new GetItemCommand({ TableName: "Users", Key: KEY }))).Item!;
    await client.send(new PutItemCommand({ TableName: "Users", Item: read }));
    expect(fake.last("PutItem").body.Item.ssn.S).toBe(stored);
  });
});
