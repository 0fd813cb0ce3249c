import { startDynamoDBLocal, type DynamoDBLocal } from "../../scripts/dynamodb-local/start";
import type { Comparison, HarnessOptions } from "../harness";
import { beacons } from "./beacons";
import { bytes } from "./bytes";
import { copyGuard } from "./copy-guard";
import { dynamoLocal } from "./dynamodb-local";
import { exportMemory, itemApi } from "./item-api";
import { kmsEconomics } from "./kms-economics";
import { memory } from "./memory";
import { multiTenant } from "./multi-tenant";
import { migration } from "./migration";
import { migrationBeacons } from "./migration-beacons";
import { pluginStub } from "./plugin-stub";

type Section = { name: string; run: () => Promise<Comparison[] | Record<string, unknown>> };

/**
 * Every section after the crypto core. DynamoDB Local is started once, on
 * first use; `close` stops it (call it whichever sections ran: a run of one
 * section with `--only` would otherwise never exit).
 */
export function sections(
  options: HarnessOptions,
  quick: boolean,
): { sections: Section[]; close: () => Promise<void> } {
  let local: DynamoDBLocal | undefined;
  const withLocal = async <T>(run: (l: DynamoDBLocal) => Promise<T>) =>
    run((local ??= await startDynamoDBLocal({ log: (l) => console.error(l) })));
  const close = async () => {
    await local?.stop();
    local = undefined;
  };
  const list: Section[] = [
    { name: "stub", run: () => pluginStub(options, quick) },
    { name: "dynamodb-local", run: () => withLocal((l) => dynamoLocal(l, options, quick)) },
    { name: "beacons", run: () => withLocal((l) => beacons(l, options, quick)) },
    { name: "migration", run: () => withLocal((l) => migration(l, quick)) },
    { name: "migration-beacons", run: () => withLocal((l) => migrationBeacons(l, quick)) },
    {
      name: "kms",
      run: async () => {
        try {
          return await withLocal((l) => kmsEconomics(l, quick));
        } finally {
          await close();
        }
      },
    },
    { name: "bytes", run: () => bytes() },
    { name: "memory", run: () => memory(quick) },
    { name: "item-api", run: () => itemApi(options, quick) },
    { name: "export-memory", run: () => exportMemory(quick) },
    { name: "tenants", run: () => multiTenant(options, quick) },
    { name: "copy-guard", run: () => copyGuard(options, quick) },
  ];
  return { sections: list, close };
}
