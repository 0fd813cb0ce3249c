import type { ItemCipher, ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { isObject, type WireItem } from "../format/wire";
import { keyIdentity, type RequestPlan, type ScopeInstance } from "./request-plan";
import { tableNameOf } from "./table-name";
import { walk } from "./walk";

function errorName(body: Record<string, unknown>): string | undefined {
  const type = body.__type;
  if (typeof type !== "string") return undefined;
  return type.slice(type.lastIndexOf("#") + 1);
}

/**
 * Applies the response side to the plugin's parsed copy of a response body:
 * decrypts every item of a configured table (in success and error bodies),
 * removes key attributes the plugin added to projections, and gives back
 * unprocessed batch requests as the caller sent them. Returns whether the
 * body changed.
 */
export async function applyResponse(
  cipher: ItemCipher,
  plan: RequestPlan,
  body: Record<string, unknown>,
  isError: boolean,
): Promise<boolean> {
  const spec = plan.spec;
  const sites = isError ? (spec.errors?.[errorName(body) ?? ""] ?? []) : spec.response;
  const jobs: Job[] = [];
  for (const site of sites) {
    // Items of a list (a Query, Scan, BatchGetItem or PartiQL page) can be left out of it; a single item cannot.
    const inList = site.path[site.path.length - 1] === "[]" && !isError;
    walk(body, site.path, (item, context, holder, prop) => {
      if (!isObject(item)) return;
      const instance =
        site.table === "scope"
          ? plan.single
          : site.table === "mapKey"
            ? (plan.byTable.get(context.mapKey ?? "") ??
              plan.byTable.get(tableNameOf(context.mapKey) ?? ""))
            : plan.byIndex.get(context.index ?? -1);
      if (!instance?.table) return;
      jobs.push({
        table: instance.table,
        item: item as WireItem,
        key: instance.key,
        instance,
        skippable: inList,
        list: inList ? (holder as unknown[]) : undefined,
        index: prop as number,
      });
    });
  }
  let changed = jobs.length > 0;
  const skipped = await cipher.decryptItems(jobs);
  if (skipped.length > 0) dropItems(body, skipped);
  for (const { item, instance } of jobs) {
    for (const name of instance.added ?? []) delete item[name];
  }
  if (!isError && spec.restore === "UnprocessedItems")
    changed = restoreUnprocessedItems(plan, body) || changed;
  if (!isError && spec.restore === "UnprocessedKeys")
    changed = restoreUnprocessedKeys(plan, body) || changed;
  return changed;
}

interface Job extends ItemJob {
  instance: ScopeInstance;
  /** The page list the item is in, when it can be left out. */
  list: unknown[] | undefined;
  index: number;
}

/** Leaves items that failed to decrypt out of their pages, and out of `Count`, highest index first so the others keep their places. */
function dropItems(body: Record<string, unknown>, skipped: readonly { job: Job }[]): void {
  const byList = new Map<unknown[], number[]>();
  for (const { job } of skipped) {
    const indexes = byList.get(job.list!) ?? [];
    indexes.push(job.index);
    byList.set(job.list!, indexes);
  }
  for (const [list, indexes] of byList)
    for (const i of indexes.sort((a, b) => b - a)) list.splice(i, 1);
  if (typeof body.Count === "number" && Array.isArray(body.Items))
    body.Count = body.Items.length;
}

function restoreUnprocessedItems(plan: RequestPlan, body: Record<string, unknown>): boolean {
  let changed = false;
  walk(body, ["UnprocessedItems", "*", "[]"], (entry, context, holder, prop) => {
    const instance =
      plan.byTable.get(context.mapKey ?? "") ?? plan.byTable.get(tableNameOf(context.mapKey) ?? "");
    if (!instance?.table || !isObject(entry) || !isObject(entry.PutRequest)) return;
    const item = entry.PutRequest.Item;
    const identity = isObject(item) ? keyIdentity(instance.table, item) : undefined;
    const original =
      identity === undefined ? undefined : plan.originalPuts.get(instance.tableName)?.get(identity);
    if (original === undefined) {
      throw new EncryptionError(
        "response.malformed",
        "BatchWriteItem returned an unprocessed item that matches no item of the request, so it cannot be given back as sent",
        { table: instance.tableName },
      );
    }
    (holder as unknown[])[prop as number] = { ...entry, PutRequest: original };
    changed = true;
  });
  return changed;
}

function restoreUnprocessedKeys(plan: RequestPlan, body: Record<string, unknown>): boolean {
  let changed = false;
  walk(body, ["UnprocessedKeys", "*"], (entry, context) => {
    const original = plan.originalProjections.get(tableNameOf(context.mapKey) ?? "");
    if (!original || !isObject(entry)) return;
    for (const prop of ["ProjectionExpression", "ExpressionAttributeNames", "AttributesToGet"]) {
      if (original[prop] === undefined) delete entry[prop];
      else entry[prop] = original[prop];
    }
    changed = true;
  });
  return changed;
}
