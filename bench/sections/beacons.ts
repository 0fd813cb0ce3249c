import { DynamoDBClient, ExecuteStatementCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type DynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable } from "../../test/support/dynamodb";
import { createBeaconKey, fieldEncryption, LocalKeyProvider } from "../../src";
import { compare, withTarget, type Comparison, type HarnessOptions } from "../harness";
import { BENCH_KEYS } from "./stub-client";

/**
 * Beacons on DynamoDB Local, side by side in one run: a Query by a 16-bit
 * beacon on its GSI against a Query by a plain attribute on a GSI of the same
 * shape (both through the plugin, one matching item among 2,000), and a Put
 * that writes a beacon against the same Put writing a plain attribute of the
 * beacon's size on a GSI instead (so DynamoDB does the same index work), with
 * a Put of neither beside them to show what the index itself costs. PartiQL:
 * the same lookup as `SELECT … FROM table.index WHERE email = ?` (rewritten to
 * the beacon) against `WHERE plainEmail = ?` on the plain index, and an INSERT
 * that writes a beacon against the same INSERT without one.
 */
export async function beacons(
  local: DynamoDBLocal,
  options: HarnessOptions,
  quick: boolean,
): Promise<Comparison[]> {
  const table = `bench-beacons-${Date.now().toString(36)}`;
  const endpoint = {
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  };
  const admin = new DynamoDBClient(endpoint);
  await createTable(admin, table, {
    partitionKey: "pk",
    sortKey: "sk",
    indexes: [
      { name: "email-index", partitionKey: "email__beacon" },
      { name: "plain-index", partitionKey: "plainEmail" },
    ],
  });
  const keyProvider = new LocalKeyProvider({ keys: BENCH_KEYS });
  const beaconKey = await createBeaconKey(keyProvider, "bench");
  const client = (beacon: boolean, copyGuard = true) => {
    const low = new DynamoDBClient(endpoint);
    low.middlewareStack.use(
      fieldEncryption({
        keyId: "bench",
        keyProvider,
        beaconKey,
        tables: {
          [table]: {
            partitionKey: "pk",
            sortKey: "sk",
            fields: {
              email: {
                ...(beacon && { beacon: { length: 16, index: "email-index" } }),
                ...(!copyGuard && { copyGuard: false as const }),
              },
            },
          },
        },
      }),
    );
    return { low, doc: DynamoDBDocumentClient.from(low) };
  };
  const beaconClients = client(true);
  const plainClients = client(false);
  const withBeacon = beaconClients.doc;
  const without = plainClients.doc;
  const count = quick ? 200 : 2000;
  // The plain index compared against holds each email in plaintext on purpose: seeded with the copy guard off for it.
  const seed = client(true, false).doc;
  for (let i = 0; i < count; i++) {
    const email = `user${i}@example.com`;
    await seed.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `u#${i}`, sk: "p", email, plainEmail: email },
      }),
    );
  }
  const searched = "user7@example.com";
  const query = await compare(
    "Beacons (DynamoDB Local)",
    `Query one item of ${count} by a 16-bit beacon GSI vs by a plain attribute GSI`,
    {
      plain: () =>
        withBeacon.send(
          new QueryCommand({
            TableName: table,
            IndexName: "plain-index",
            KeyConditionExpression: "plainEmail = :e",
            ExpressionAttributeValues: { ":e": searched },
          }),
        ),
      beacon: () =>
        withBeacon.send(
          new QueryCommand({
            TableName: table,
            IndexName: "email-index",
            KeyConditionExpression: "email = :e",
            ExpressionAttributeValues: { ":e": searched },
          }),
        ),
    },
    "plain",
    options,
  );
  let n = count;
  // A beacon is an attribute on a GSI, so DynamoDB writes the index too. The baseline writes a plain
  // attribute of the beacon's size on a GSI of the same shape, so the ratio is what the plugin adds
  // to write a beacon; "no beacon" (no indexed attribute at all) shows the index's own cost beside it.
  const put = await compare(
    "Beacons (DynamoDB Local)",
    "Put with a 16-bit beacon vs the same Put with a 4-character plain attribute on a GSI instead, and with neither",
    {
      "no beacon, 4-char attribute on a GSI": () =>
        without.send(
          new PutCommand({
            TableName: table,
            Item: { pk: `g#${++n}`, sk: "p", email: "a@b", plainEmail: (n % 65536).toString(16) },
          }),
        ),
      "no beacon": () =>
        without.send(
          new PutCommand({ TableName: table, Item: { pk: `n#${++n}`, sk: "p", email: "a@b" } }),
        ),
      beacon: () =>
        withBeacon.send(
          new PutCommand({ TableName: table, Item: { pk: `b#${++n}`, sk: "p", email: "a@b" } }),
        ),
    },
    "no beacon, 4-char attribute on a GSI",
    options,
  );
  const select = (index: string, attribute: string) => () =>
    beaconClients.low.send(
      new ExecuteStatementCommand({
        Statement: `SELECT * FROM "${table}"."${index}" WHERE ${attribute} = ?`,
        Parameters: [{ S: searched }],
      }),
    );
  const partiqlQuery = await compare(
    "Beacons (DynamoDB Local)",
    `PartiQL SELECT of one item of ${count} by a 16-bit beacon GSI vs by a plain attribute GSI`,
    { plain: select("plain-index", "plainEmail"), beacon: select("email-index", "email") },
    "plain",
    options,
  );
  const insert = (clients: typeof beaconClients, prefix: string) => () =>
    clients.low.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'email': ?}`,
        Parameters: [{ S: `${prefix}${++n}` }, { S: "p" }, { S: "a@b" }],
      }),
    );
  const partiqlInsert = await compare(
    "Beacons (DynamoDB Local)",
    "PartiQL INSERT of an item whose encrypted field has a beacon vs the same field without one",
    { "no beacon": insert(plainClients, "pn#"), beacon: insert(beaconClients, "pb#") },
    "no beacon",
    options,
  );
  return [
    partiqlQuery,
    partiqlInsert,
    withTarget(
      query,
      `Query by beacon: ≤ 1.2× (got ${query.ratio.beacon!.toFixed(3)})`,
      query.ratio.beacon! <= 1.2,
    ),
    withTarget(
      put,
      `Put with a beacon, against the same Put with a plain attribute on a GSI: ≤ 1.05× (got ${put.ratio.beacon!.toFixed(3)}; against no indexed attribute at all ${(put.ratio.beacon! / put.ratio["no beacon"]!).toFixed(3)})`,
      put.ratio.beacon! <= 1.05,
    ),
  ];
}
