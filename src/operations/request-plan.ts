import type { ResolvedConfig, ResolvedTable } from "../config/resolved-config";
import type { ItemCipher, ItemJob, ValueTarget } from "../engine/item-cipher";
import { EncryptionError } from "../errors/encryption-error";
import { keyValueBytes } from "../format/binding";
import { writtenBackBy } from "../beacons/job-beacons";
import { applyBeaconWrites, type BeaconWrite, planItemBeacons } from "../beacons/beacon-writes";
import type { BeaconMatch } from "../beacons/beacon-match";
import { BeaconRewriter } from "../beacons/beacon-rewriter";
import { projectMatchedFields } from "../beacons/match-projection";
import { checkLeftoverComposites } from "../beacons/composite-values";
import { itemSize, MAX_ITEM_BYTES } from "../format/item-size";
import { isObject, type WireItem } from "../format/wire";
import { resolvePath } from "../expressions/field-relation";
import { projectedPath, refuseStatementRewrite } from "../access/field-access";
import { parseProjectionExpression } from "../expressions/parser";
import {
  checkConditionExpression,
  checkLegacyConditions,
  refuseUnusedValue,
  unusedValue,
} from "./condition-check";
import { planAttributeUpdates, planUpdateExpression } from "./update-plan";
import {
  OPERATIONS,
  type OperationSpec,
  PARTIQL_OPERATIONS,
  type PartiqlSpec,
  PASS_THROUGH_OPERATIONS,
  type RequestScope,
} from "./operation-map";
import { planStatement, type StatementScope } from "../partiql/statement-plan";
import { mentionedTable, refuseLookalikeTable, tableNameOf } from "./table-name";
import { walk } from "./walk";
import { updateAttributes } from "../tenancy/update-attributes";
import { statementAttributes } from "../tenancy/statement-attributes";
import { CopyNeedles } from "../copy-guard/copy-needles";
import { guardRequest } from "../copy-guard/guard-request";
import { beaconNeedles } from "../copy-guard/beacon-needles";

/** One object of a request that belongs to a table (the root of a PutItem, one `TransactItems[i].Put`, …). */
export interface ScopeInstance {
  tableName: string;
  table: ResolvedTable | undefined;
  key: WireItem | undefined;
  /** Key attributes the plugin added to a projection; removed from returned items. */
  added?: string[];
  /** Equalities rewritten to truncated beacons: returned items must match them once decrypted. */
  beaconMatches?: BeaconMatch[];
}

/** What the response side needs to know about the request it answers. */
export interface RequestPlan {
  operation: string;
  spec: OperationSpec;
  /** The scope of a single-table operation. */
  single: ScopeInstance | undefined;
  /** Scopes by the index of their list entry (TransactItems[i]). */
  byIndex: Map<number, ScopeInstance>;
  /** Scopes by table name (BatchGetItem). */
  byTable: Map<string, ScopeInstance>;
  /** BatchWriteItem: the caller's PutRequests, by table and item key, to give back unprocessed ones as sent. */
  originalPuts: Map<string, Map<string, unknown>>;
  /** BatchGetItem: the caller's projection settings per table, to give back unprocessed keys as sent. */
  originalProjections: Map<string, Record<string, unknown>>;
}

const PROJECTION_PROPS = [
  "ProjectionExpression",
  "ExpressionAttributeNames",
  "AttributesToGet",
] as const;

/** A key's identity within a table, from its key attribute values. */
export function keyIdentity(
  table: ResolvedTable,
  item: Record<string, unknown>,
): string | undefined {
  const parts: string[] = [];
  for (const name of table.sortKey === undefined
    ? [table.partitionKey]
    : [table.partitionKey, table.sortKey]) {
    const bytes = keyValueBytes(item[name]);
    if (!bytes) return undefined;
    parts.push(bytes.toString("base64"));
  }
  return parts.join(".");
}

function uniquePlaceholder(names: Record<string, unknown>, base: string): string {
  let candidate = base;
  for (let i = 1; candidate in names; i++) candidate = `${base}_${i}`;
  return candidate;
}

/** Adds the key attributes to a projection that returns encrypted fields but not the key they are bound to. */
function projectKeys(
  table: ResolvedTable,
  scope: Record<string, unknown>,
  instance: ScopeInstance,
): void {
  const keys =
    table.sortKey === undefined ? [table.partitionKey] : [table.partitionKey, table.sortKey];
  // Encrypted fields need the key they are bound to, and the attributes that choose their KMS key and context.
  const keyNames = [...keys, ...table.tenantAttributes.filter((a) => !keys.includes(a))];
  const expression = scope.ProjectionExpression;
  if (typeof expression === "string") {
    const paths = parseProjectionExpression(expression).map((p) =>
      resolvePath(p, scope.ExpressionAttributeNames),
    );
    let needsKeys = false;
    for (const path of paths)
      if (projectedPath(table, path, "ProjectionExpression")) needsKeys = true;
    const projected = new Set(paths.map((p) => p[0]));
    const missing = keyNames.filter((k) => !projected.has(k));
    if (!needsKeys || missing.length === 0) return;
    const names: Record<string, unknown> = isObject(scope.ExpressionAttributeNames)
      ? { ...scope.ExpressionAttributeNames }
      : {};
    const placeholders = missing.map((name, i) => {
      const placeholder = uniquePlaceholder(names, `#dfe_key${i}`);
      names[placeholder] = name;
      return placeholder;
    });
    scope.ProjectionExpression = `${expression}, ${placeholders.join(", ")}`;
    scope.ExpressionAttributeNames = names;
    instance.added = missing;
  } else if (Array.isArray(scope.AttributesToGet)) {
    const attributes = scope.AttributesToGet as unknown[];
    if (!attributes.some((a) => typeof a === "string" && table.rootNames.has(a))) return;
    const missing = keyNames.filter((k) => !attributes.includes(k));
    if (missing.length === 0) return;
    scope.AttributesToGet = [...attributes, ...missing];
    instance.added = missing;
  }
}

function emptyPlan(operation: string, spec: OperationSpec): RequestPlan {
  return {
    operation,
    spec,
    single: undefined,
    byIndex: new Map(),
    byTable: new Map(),
    originalPuts: new Map(),
    originalProjections: new Map(),
  };
}

/**
 * Computes the planned beacons, then encrypts the request's items and values
 * in place (beacons are made from the plaintext, so first). Returns what the
 * copy guard searches the final body for: every plaintext encrypted or
 * looked up, and the values the library produced in their place; undefined
 * when the request carries none.
 */
async function encryptValues(
  config: ResolvedConfig,
  cipher: ItemCipher,
  jobs: readonly ItemJob[],
  targets: readonly ValueTarget[],
  beaconWrites: readonly BeaconWrite[],
): Promise<CopyNeedles | undefined> {
  // A read encrypts nothing and looks nothing up: no needles, and no extra await on the hot path.
  if (jobs.length === 0 && targets.length === 0 && beaconWrites.length === 0) return undefined;
  await applyBeaconWrites(config, beaconWrites);
  const needles = new CopyNeedles();
  beaconNeedles(needles, beaconWrites);
  await cipher.encryptItems(jobs, targets, needles);
  return needles;
}

/**
 * PartiQL: each statement naming a configured table is parsed and planned;
 * its parameters are encrypted as needed, and a statement on beaconed fields
 * is rewritten to keep their beacons in step (beacons computed from the
 * plaintext first, then the parameters encrypted, then the text rewritten).
 */
async function planPartiql(
  config: ResolvedConfig,
  cipher: ItemCipher,
  operation: string,
  partiql: PartiqlSpec,
  body: Record<string, unknown>,
): Promise<RequestPlan | undefined> {
  const plan = emptyPlan(operation, partiql.spec);
  const targets: ValueTarget[] = [];
  const beaconWrites: BeaconWrite[] = [];
  const rewrites: { statement: Record<string, unknown>; scope: StatementScope }[] = [];
  const context = {
    beaconWrites,
    writtenBack: (table: ResolvedTable, keyed: WireItem) => writtenBackBy(cipher, table, keyed),
    batched: partiql.statements.length > 0,
  };
  let involved = false;
  walk(body, partiql.statements, (statement, walkContext) => {
    if (!isObject(statement)) return;
    const first = targets.length;
    const scope = planStatement(
      config,
      statement.Statement,
      statement.Parameters,
      targets,
      context,
    );
    if (!scope) return;
    if (scope.table && scope.table.tenantAttributes.length > 0)
      scope.key = statementAttributes(
        scope.table,
        statement.Statement as string,
        statement.Parameters,
        scope.key,
        targets,
        first,
      );
    if (partiql.statements.length === 0) plan.single = scope;
    else plan.byIndex.set(walkContext.index ?? -1, scope);
    if (scope.table) involved = true;
    if (scope.beacons) rewrites.push({ statement, scope });
  });
  if (!involved) return undefined;
  const needles = await encryptValues(config, cipher, [], targets, beaconWrites);
  for (const { statement, scope } of rewrites) {
    const params = Array.isArray(statement.Parameters) ? (statement.Parameters as unknown[]) : [];
    const rewritten = scope.beacons!.plan.rewrite(
      statement.Statement as string,
      params,
      scope.beacons!.actionsEnd,
    );
    if (!rewritten) throw refuseStatementRewrite(scope.table!);
    statement.Statement = rewritten.text;
    // DynamoDB refuses an empty Parameters list as it refuses unused parameters.
    if (rewritten.params.length > 0) statement.Parameters = rewritten.params;
    else delete statement.Parameters;
  }
  // On the final statements, so that beacon literals are what the guard skips.
  if (needles) guardRequest(needles, body);
  return plan;
}

/**
 * Plans and applies the request side: checks every scope of a configured
 * table, adds key attributes to projections, and encrypts every item, all on
 * the plugin's own parsed copy of the body. Returns undefined when no
 * configured table is involved. Throws, with nothing sent, when the request
 * cannot be proved safe.
 */
export async function planRequest(
  config: ResolvedConfig,
  cipher: ItemCipher,
  operation: string,
  body: Record<string, unknown>,
): Promise<RequestPlan | undefined> {
  if (PASS_THROUGH_OPERATIONS.has(operation)) return undefined;
  const partiql = PARTIQL_OPERATIONS[operation];
  if (partiql) return planPartiql(config, cipher, operation, partiql, body);
  const spec = OPERATIONS[operation];
  if (!spec) {
    throw new EncryptionError(
      "operation.unknown",
      `The plugin does not know the DynamoDB operation ${operation}, and the request names a table with encrypted fields. Nothing was sent.`,
      { table: mentionedTable(config.tables.keys(), JSON.stringify(body)) },
    );
  }

  const plan = emptyPlan(operation, spec);
  const jobs: ItemJob[] = [];
  const targets: ValueTarget[] = [];
  const beaconWrites: BeaconWrite[] = [];
  let involved = false;

  for (const scope of spec.request) {
    walk(body, scope.path, (value, context) => {
      if (!isObject(value)) return;
      // Batch operations key RequestItems by table name or table ARN.
      const tableName = tableNameOf(scope.table === "mapKey" ? context.mapKey : value.TableName);
      if (tableName === undefined) return;
      const table = config.tables.get(tableName);
      if (!table)
        refuseLookalikeTable(
          config.tables.keys(),
          scope.table === "mapKey" ? context.mapKey : value.TableName,
        );
      const key =
        scope.key !== undefined && isObject(value[scope.key])
          ? (value[scope.key] as WireItem)
          : undefined;
      const instance: ScopeInstance = { tableName, table, key };
      if (scope.path.length === 0) plan.single = instance;
      if (context.index !== undefined && scope.path[0] === "TransactItems")
        plan.byIndex.set(context.index, instance);
      if (scope.table === "mapKey") {
        plan.byTable.set(tableName, instance);
        plan.byTable.set(context.mapKey!, instance);
      }
      if (!table) return;
      involved = true;
      applyScope(scope, table, value, instance, plan, jobs, targets, beaconWrites, cipher);
    });
  }
  if (!involved) return undefined;
  const needles = await encryptValues(config, cipher, jobs, targets, beaconWrites);
  for (const job of jobs) {
    const size = itemSize(job.item);
    if (size > MAX_ITEM_BYTES) {
      throw new EncryptionError(
        "item.tooLarge",
        `An item for ${job.table.name} is ${size} bytes once encrypted, over DynamoDB's ${MAX_ITEM_BYTES}-byte limit. Nothing was sent.`,
        { table: job.table.name },
      );
    }
  }
  // On the final body: every value, rewrite and beacon is in place.
  if (needles) guardRequest(needles, body);
  return plan;
}

function applyScope(
  scope: RequestScope,
  table: ResolvedTable,
  value: Record<string, unknown>,
  instance: ScopeInstance,
  plan: RequestPlan,
  jobs: ItemJob[],
  targets: ValueTarget[],
  beaconWrites: BeaconWrite[],
  cipher: ItemCipher,
): void {
  for (const prop of scope.legacyConditions ?? []) checkLegacyConditions(table, value, prop);
  const unused = unusedValue(
    value,
    scope.update ? [...(scope.expressions ?? []), scope.update] : (scope.expressions ?? []),
  );
  const rewriter =
    table.beaconAttributes.size > 0 ? new BeaconRewriter(table, value, beaconWrites) : undefined;
  for (const prop of scope.expressions ?? [])
    checkConditionExpression(table, value, prop, rewriter);
  if (rewriter && rewriter.matches.length > 0) instance.beaconMatches = rewriter.matches;
  const keyed = isObject(value.Key) ? value.Key : {};
  const firstTarget = targets.length;
  if (scope.update)
    planUpdateExpression(table, value, targets, beaconWrites, writtenBackBy(cipher, table, keyed));
  if (scope.legacyUpdate)
    planAttributeUpdates(table, value, targets, beaconWrites, writtenBackBy(cipher, table, keyed));
  checkLeftoverComposites(table, value, beaconWrites);
  if (unused !== undefined) throw refuseUnusedValue(table, unused);
  if ((scope.update || scope.legacyUpdate) && table.tenantAttributes.length > 0) {
    // Per-item keys and contexts: what the update says about the item chooses them, here and for its ReturnValues.
    const attributes = updateAttributes(table, value);
    for (let i = firstTarget; i < targets.length; i++) targets[i]!.attributes = attributes;
    instance.key = attributes;
  }
  if (scope.projection) {
    if (scope.table === "mapKey") {
      const original: Record<string, unknown> = {};
      for (const prop of PROJECTION_PROPS)
        if (value[prop] !== undefined) original[prop] = structuredClone(value[prop]);
      plan.originalProjections.set(instance.tableName, original);
    }
    const matched = projectMatchedFields(value, instance.beaconMatches);
    projectKeys(table, value, instance);
    if (matched.length > 0) instance.added = [...(instance.added ?? []), ...matched];
  }
  if (scope.item) {
    const item = value[scope.item];
    if (!isObject(item)) return;
    if (plan.spec.restore === "UnprocessedItems") {
      const identity = keyIdentity(table, item);
      if (identity !== undefined) {
        let puts = plan.originalPuts.get(instance.tableName);
        if (!puts) plan.originalPuts.set(instance.tableName, (puts = new Map<string, unknown>()));
        puts.set(identity, structuredClone(value));
      }
    }
    planItemBeacons(table, item as WireItem, beaconWrites, writtenBackBy(cipher, table, item));
    jobs.push({ table, item: item as WireItem });
  }
}
