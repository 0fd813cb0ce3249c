import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type DynamoDBLocal,
} from "../../scripts/dynamodb-local/start";
import { createTable } from "../../test/support/dynamodb";
import {
  createBeaconKey,
  type FieldEncryptionConfig,
  KmsKeyProvider,
  migrateTable,
  verifyTable,
} from "../../src";
import { KmsTestServer } from "../../src/testing";
import { fill } from "./migration";

interface Round {
  /** `migrate` of plaintext (2 fields encrypted per item, no beacon configured). */
  encryptItemsPerSecond: number;
  /** `migrate --only beacons` of the same, now encrypted, items: decrypt, HMAC, one conditional UpdateItem each. */
  backfillItemsPerSecond: number;
  /** `verify` of the backfilled table without beacons in scope (`--only plaintext,keys,formats`). */
  verifySeconds: number;
  /** `verify` of the same table with beacons in scope (each beacon recomputed and compared). */
  verifyBeaconsSeconds: number;
}

/**
 * The migration tool and beacons on DynamoDB Local, in one process: a table
 * of plaintext items (`ssn` with a 16-bit beacon, `card.number`) is migrated
 * without the beacon configured (encrypting), then `migrate --only beacons`
 * backfills the beacons; then `verify` without and with beacons in scope,
 * alternated. Two rounds, each on a new table. Reports items per second of
 * the backfill against the encryption pass, and verify's time with beacons
 * against without.
 */
export async function migrationBeacons(
  local: DynamoDBLocal,
  quick: boolean,
): Promise<Record<string, unknown>> {
  const items = quick ? 1_000 : 5_000;
  const kms = await KmsTestServer.start();
  kms.createKey({ alias: "alias/bench" });
  const kmsClient = kms.client();
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const beaconKey = await createBeaconKey(new KmsKeyProvider({ client: kmsClient }), "alias/bench");
  const config = (table: string, beacon: boolean): FieldEncryptionConfig => ({
    keyId: "alias/bench",
    kmsClient,
    beaconKey,
    tables: {
      [table]: {
        partitionKey: "pk",
        fields: { ssn: beacon ? { beacon: { length: 16 } } : {}, "card.number": {} },
      },
    },
  });
  const rounds: Round[] = [];
  try {
    for (let round = 0; round < 2; round++) {
      const table = `bench-migrate-beacons-${Date.now().toString(36)}-${round}`;
      await createTable(client, table, { partitionKey: "pk" });
      await fill(client, table, items);
      const timed = async <T>(run: () => Promise<T>) => {
        const start = performance.now();
        const out = await run();
        return { out, seconds: (performance.now() - start) / 1000 };
      };
      const checkpoint = (name: string) => ({ file: `/tmp/${table}-${name}.checkpoint.json` });
      const encrypt = await timed(() =>
        migrateTable({
          config: config(table, false),
          table,
          client,
          checkpoint: checkpoint("e"),
        }),
      );
      const backfill = await timed(() =>
        migrateTable({
          config: config(table, true),
          table,
          client,
          only: ["beacons"],
          checkpoint: checkpoint("b"),
        }),
      );
      if (backfill.out.fields.ssn?.beacons?.written !== items)
        throw new Error(`backfilled ${backfill.out.fields.ssn?.beacons?.written}`);
      const verifySeconds: number[] = [];
      const verifyBeaconsSeconds: number[] = [];
      for (let i = 0; i < 2; i++) {
        const plain = await timed(() =>
          verifyTable({
            config: config(table, true),
            table,
            client,
            only: ["plaintext", "keys", "formats"],
          }),
        );
        const withBeacons = await timed(() =>
          verifyTable({ config: config(table, true), table, client }),
        );
        if (withBeacons.out.status !== "ok") throw new Error(`verify: ${withBeacons.out.status}`);
        verifySeconds.push(plain.seconds);
        verifyBeaconsSeconds.push(withBeacons.seconds);
      }
      const min = (xs: number[]) => Math.min(...xs);
      rounds.push({
        encryptItemsPerSecond: items / encrypt.seconds,
        backfillItemsPerSecond: items / backfill.seconds,
        verifySeconds: min(verifySeconds),
        verifyBeaconsSeconds: min(verifyBeaconsSeconds),
      });
      console.error(
        `migration-beacons: ${items} items: encrypt ${Math.round(items / encrypt.seconds)} items/s, backfill ${Math.round(items / backfill.seconds)} items/s, verify ${min(verifySeconds).toFixed(1)} s, with beacons ${min(verifyBeaconsSeconds).toFixed(1)} s`,
      );
      await client.send(new DeleteTableCommand({ TableName: table }));
    }
  } finally {
    client.destroy();
    kmsClient.destroy();
    await kms.stop();
  }
  const mean = (f: (r: Round) => number) => rounds.reduce((a, r) => a + f(r), 0) / rounds.length;
  return {
    items,
    rounds,
    backfillOverEncryptThroughput: mean((r) => r.backfillItemsPerSecond / r.encryptItemsPerSecond),
    verifyWithBeaconsOverWithout: mean((r) => r.verifyBeaconsSeconds / r.verifySeconds),
  };
}
