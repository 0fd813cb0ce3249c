import type { ItemCipher, ItemJob } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import type { ResolvedTable } from "../config/resolved-config";
import { toSdkItem } from "../format/sdk-value";
import { isObject, type WireItem, wireType } from "../format/wire";
import { keyIdentity, type RequestPlan, type ScopeInstance } from "./request-plan";
import { tableNameOf } from "./table-name";
import { walk } from "./walk";
import { matchesAll, removeFalsePositives } from "../beacons/false-positives";

/**
 * Precondition: the items handed to the plugin hold AttributeValues. If the
 * SDK's stack ran the Document client's unmarshalling before the plugin (a
 * stack this plugin does not know), configured fields would be plain values
 * and could pass through undecrypted: refuse instead.
 */
function checkAttributeValues(table: ResolvedTable, item: Record<string, unknown>): void {
  for (const name of [table.partitionKey, table.sortKey, ...table.rootNames]) {
    if (name === undefined) continue;
    const value = item[name];
    if (value !== undefined && wireType(value) === undefined)
      throw new EncryptionError(
        "config.unsupportedSdk",
        `The response reached the plugin with "${name}" not in DynamoDB's AttributeValue form, so this SDK version's middleware stack is not one the plugin supports; nothing was returned. See README for the supported @aws-sdk versions.`,
        { table: table.name },
      );
  }
}

/**
 * Applies the response side to a response's items, in place: decrypts every
 * item of a configured table (in a successful output, or in the error the
 * SDK's deserializer threw, named `errorName`), removes key attributes the
 * plugin added to projections, and gives back unprocessed batch requests as
 * the caller sent them. `form` says whether binaries are base64 text (a wire
 * body) or bytes (the SDK's parsed output). Returns whether anything changed.
 */
export async function applyResponse(
  cipher: ItemCipher,
  plan: RequestPlan,
  body: Record<string, unknown>,
  errorName: string | undefined,
  form: "wire" | "sdk" = "wire",
): Promise<boolean> {
  const spec = plan.spec;
  const isError = errorName !== undefined;
  const sites = isError ? (spec.errors?.[errorName] ?? []) : spec.response;
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
      checkAttributeValues(instance.table, item);
      jobs.push({
        table: instance.table,
        item: item as WireItem,
        key: instance.key,
        instance,
        skippable: inList,
        list: inList ? (holder as unknown[]) : undefined,
        index: prop as number,
        holder: holder as Record<string | number, unknown>,
        prop,
      });
    });
  }
  let changed = jobs.length > 0;
  const skipped = await cipher.decryptItems(jobs, { form });
  if (skipped.length > 0) dropItems(body, skipped);
  const single = plan.single;
  if (!isError && single?.table && single.beaconMatches)
    changed = removeFalsePositives(single.table, body, single.beaconMatches) || changed;
  // A batched or transactional SELECT returns one item per statement: one that fails its beacon lookup is left out.
  for (const { instance, holder, prop, list } of jobs) {
    if (isError || instance === single || !instance.beaconMatches || list) continue;
    if (matchesAll(instance.table!, holder[prop] as WireItem, instance.beaconMatches)) continue;
    delete holder[prop];
    changed = true;
  }
  for (const { item, instance } of jobs) {
    for (const name of instance.added ?? []) delete item[name];
  }
  if (!isError && spec.restore === "UnprocessedItems")
    changed = restoreUnprocessedItems(plan, body, form) || changed;
  if (!isError && spec.restore === "UnprocessedKeys")
    changed = restoreUnprocessedKeys(plan, body) || changed;
  return changed;
}

interface Job extends ItemJob {
  instance: ScopeInstance;
  /** The page list the item is in, when it can be left out. */
  list: unknown[] | undefined;
  index: number;
  /** Where the item is: `holder[prop]`. */
  holder: Record<string | number, unknown>;
  prop: string | number;
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
  if (typeof body.Count === "number" && Array.isArray(body.Items)) body.Count = body.Items.length;
}

function restoreUnprocessedItems(
  plan: RequestPlan,
  body: Record<string, unknown>,
  form: "wire" | "sdk",
): boolean {
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
    const request = original as { Item: WireItem };
    (holder as unknown[])[prop as number] = {
      ...entry,
      PutRequest: form === "sdk" ? { ...request, Item: toSdkItem(request.Item) } : request,
    };
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
