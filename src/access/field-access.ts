import type { PathSegment } from "../config/field-path";
import type { ResolvedField, ResolvedTable } from "../config/resolved-config";
import { EncryptionError } from "../errors/encryption-error";
import {
  type DocumentPath,
  encryptedFieldOf,
  pathText,
  relate,
} from "../expressions/field-relation";

/**
 * The one rule for what an expression, legacy condition or PartiQL statement
 * may do with a path of a table that has encrypted fields: pass it through,
 * encrypt what it writes, or refuse. Every front end (update-plan.ts,
 * condition-check.ts, request-plan.ts, statement-plan.ts) asks this module,
 * and every refusal message is written here, so the rule and its wording
 * live in one place.
 */

/** The encrypted fields at or below a written path, and the path segments from it to each. */
export type Below = readonly { field: ResolvedField; remaining: readonly PathSegment[] }[];

export const BLIND_INDEX_HINT =
  "Ciphertext is randomised, so comparisons on it cannot work. A field with a beacon (docs/searchable-encryption.md) can be compared for equality, `field = :v` or `field IN (:a, :b)`; ranges, begins_with, contains and size never work on an encrypted field.";

/** What beacons can and cannot do, for refusals of beaconed fields. */
const BEACON_HINT =
  "A beacon answers only equality: `field = :value` and `field IN (:a, :b)` against :values (or ? parameters); ranges, BETWEEN, begins_with, contains, size and comparisons between fields need the plaintext.";

/** A refusal: `expression.unsupportedOnEncrypted`, nothing sent. */
export function refuse(table: ResolvedTable, message: string, field?: string): EncryptionError {
  return new EncryptionError("expression.unsupportedOnEncrypted", `${message} Nothing was sent.`, {
    table: table.name,
    ...(field ? { field } : {}),
  });
}

/** A refusal of a whole request shape: `operation.unsupported`, nothing sent. */
export function refuseOperation(
  table: ResolvedTable,
  message: string,
  field?: string,
): EncryptionError {
  return new EncryptionError("operation.unsupported", `${message} Nothing was sent.`, {
    table: table.name,
    ...(field ? { field } : {}),
  });
}

// ---- Conditions, filters, key conditions and WHERE clauses ----------------

/**
 * A path compared in `clause` (`=`, `<`, BETWEEN, IN, begins_with, contains…)
 * where no beacon can stand in: passes when it touches no encrypted field;
 * refused otherwise, saying what beacons can do.
 */
export function comparedPath(table: ResolvedTable, path: DocumentPath, clause: string): void {
  const relation = relate(path, table.fields);
  const field = encryptedFieldOf(relation);
  if (!field) return;
  if (relation.kind === "exact" && field.beacon)
    throw new EncryptionError(
      "beacon.unsupportedQuery",
      `${clause} uses ${pathText(path)}, the encrypted field "${field.path}", in a way its beacon cannot answer. ${BEACON_HINT} Nothing was sent.`,
      { table: table.name, field: field.path },
    );
  throw refuse(
    table,
    `${clause} compares ${pathText(path)}, which is or holds the encrypted field "${field.path}". ${BLIND_INDEX_HINT}`,
    field.path,
  );
}

/** How a comparison uses a path, for {@link equalityPath}. */
export interface EqualityUse {
  /** The clause as messages name it: `KeyConditionExpression`, `The WHERE clause`… */
  clause: string;
  kind: "key" | "filter" | "condition";
  /** Every other operand is a :value or ? parameter. */
  againstValues: boolean;
  /** Reached from the top of the clause through AND only, so that dropping items that fail it is sound. */
  conjunct: boolean;
  /** The request's IndexName (Query). */
  indexName: string | undefined;
  /** The request asks for Select: COUNT, whose Count could not be corrected. */
  countOnly: boolean;
}

/**
 * A path on one side of `=` or the subject of `IN`: undefined when it touches
 * no encrypted field (pass), the field when the comparison is rewritten to its
 * beacon, refused otherwise. A beacon shorter than 256 bits matches false
 * positives, which are removed after decrypting, so it is allowed only where
 * removing items is sound: a conjunct of a filter or key condition, not a
 * ConditionExpression; 256 bits is exact equality (of normalised values).
 */
export function equalityPath(
  table: ResolvedTable,
  path: DocumentPath,
  use: EqualityUse,
): (ResolvedField & { beacon: NonNullable<ResolvedField["beacon"]> }) | undefined {
  const relation = relate(path, table.fields);
  if (relation.kind !== "exact" || !relation.field.beacon || !use.againstValues) {
    comparedPath(table, path, use.clause);
    return undefined;
  }
  const field = relation.field as ResolvedField & { beacon: NonNullable<ResolvedField["beacon"]> };
  const beacon = field.beacon;
  const at = { table: table.name, field: field.path };
  if (use.kind === "key" && (beacon.index === undefined || use.indexName !== beacon.index))
    throw new EncryptionError(
      "beacon.indexRequired",
      beacon.index === undefined
        ? `${use.clause} compares the encrypted field "${field.path}": a key condition can use its beacon only on a global secondary index whose partition key is "${beacon.attribute}" (type S). Create that index and name it in the field's beacon.index, then query it with IndexName. Nothing was sent.`
        : `${use.clause} compares the encrypted field "${field.path}": its beacon is the key of the index "${beacon.index}", so the Query needs IndexName "${beacon.index}". Nothing was sent.`,
      at,
    );
  if (use.kind === "condition" && beacon.length === 256 && beacon.normalize.length > 0)
    throw new EncryptionError(
      "beacon.conditionNotExact",
      `${use.clause} compares the encrypted field "${field.path}", whose beacon is normalised (${beacon.normalize.join(", ")}): equal beacons mean equal after normalising, so the condition would pass for values that differ. Nothing was sent.`,
      at,
    );
  if (beacon.length === 256) return field;
  if (use.kind === "condition")
    throw new EncryptionError(
      "beacon.conditionNotExact",
      `${use.clause} compares the encrypted field "${field.path}", whose beacon keeps ${beacon.length} of 256 bits: another value can share it, so the condition could pass wrongly. Only a 256-bit beacon makes a condition exact. Nothing was sent.`,
      at,
    );
  const why = !use.conjunct
    ? `must be joined to the rest of ${use.clause} with AND only (not under OR or NOT): items that share its ${beacon.length}-bit beacon are removed after decrypting, which is sound only for such a term`
    : use.countOnly
      ? `cannot be counted with Select COUNT: items that share its ${beacon.length}-bit beacon are removed after decrypting, so DynamoDB's Count would include them`
      : field.mode === "WriteOnly"
        ? `cannot be answered by a WriteOnly client: items that share its ${beacon.length}-bit beacon are removed after decrypting, which this client may not do`
        : undefined;
  if (why)
    throw new EncryptionError(
      "beacon.unsupportedQuery",
      `The comparison on the encrypted field "${field.path}" ${why}. Nothing was sent.`,
      at,
    );
  return field;
}

/** `size(path)` in `clause`: allowed on a map or list that holds encrypted fields, refused on or inside an encrypted value. */
export function sizedPath(table: ResolvedTable, path: DocumentPath, clause: string): void {
  const relation = relate(path, table.fields);
  if (relation.kind === "exact" || relation.kind === "inside")
    throw refuse(
      table,
      `${clause} takes size() of the encrypted field "${relation.field.path}". ${BLIND_INDEX_HINT}`,
      relation.field.path,
    );
}

/**
 * `attribute_exists`, `attribute_not_exists`, `attribute_type` or IS [NOT]
 * MISSING on `path`: allowed on an encrypted value (its stored type is S) and
 * on what holds one; refused inside one, which is opaque ciphertext.
 */
export function presencePath(
  table: ResolvedTable,
  path: DocumentPath,
  clause: string,
  test: string,
): void {
  const relation = relate(path, table.fields);
  if (relation.kind === "inside")
    throw refuse(
      table,
      `${clause} uses ${test} inside the encrypted field "${relation.field.path}". ${BLIND_INDEX_HINT}`,
      relation.field.path,
    );
}

/** A legacy condition (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`) on attribute `name`: only existence checks pass on encrypted fields. */
export function legacyCondition(
  table: ResolvedTable,
  name: string,
  clause: string,
  existence: boolean,
): void {
  if (!existence) comparedPath(table, [name], clause);
}

// ---- Writes: UpdateExpression, AttributeUpdates, PartiQL SET and INSERT ------

/**
 * The value `action` reads from `path` (a copy, an argument, arithmetic):
 * refused when the path is, is inside or holds an encrypted field, because a
 * ciphertext is bound to where it is stored.
 */
export function readPath(table: ResolvedTable, path: DocumentPath, action: string): void {
  const field = encryptedFieldOf(relate(path, table.fields));
  if (field)
    throw refuse(
      table,
      `${action} reads ${pathText(path)}, which is or holds the encrypted field "${field.path}"; its ciphertext is bound to where it is stored, so it cannot be copied or computed with.`,
      field.path,
    );
}

/**
 * `REMOVE path` (`verb` as the front end spells it): allowed on an encrypted
 * value or what holds one, refused inside one. Returns the encrypted fields
 * removed with it, whose beacons go too.
 */
export function removedPath(table: ResolvedTable, path: DocumentPath, verb: string): Below {
  beaconAttributeWritten(table, path);
  const relation = relate(path, table.fields);
  if (relation.kind === "inside")
    throw refuse(
      table,
      `${verb} ${pathText(path)} reaches inside the encrypted field "${relation.field.path}"; remove the whole field instead.`,
      relation.field.path,
    );
  if (relation.kind === "exact") return [{ field: relation.field, remaining: [] }];
  return relation.kind === "ancestor" ? relation.below : [];
}

/** `ADD` or `DELETE` on `path`: refused on anything that touches an encrypted field. */
export function computedPath(table: ResolvedTable, path: DocumentPath, action: string): void {
  beaconAttributeWritten(table, path);
  const field = encryptedFieldOf(relate(path, table.fields));
  if (field)
    throw refuse(
      table,
      `${action} ${pathText(path)} cannot change the encrypted field "${field.path}": ADD and DELETE compute on the stored value, which is ciphertext. Read, change and SET the value instead.`,
      field.path,
    );
}

/**
 * `SET path = …`: undefined when the path touches no encrypted field (the
 * value passes), the fields to encrypt in the value when the path is an
 * encrypted field or holds some, and refused inside an encrypted value.
 */
export function setPath(table: ResolvedTable, path: DocumentPath, verb: string): Below | undefined {
  beaconAttributeWritten(table, path);
  const relation = relate(path, table.fields);
  if (relation.kind === "none") return undefined;
  if (relation.kind === "inside")
    throw refuse(
      table,
      `${verb} ${pathText(path)} reaches inside the encrypted field "${relation.field.path}"; set the whole field instead.`,
      relation.field.path,
    );
  return relation.kind === "exact" ? [{ field: relation.field, remaining: [] }] : relation.below;
}

/** Whether every field below a path is reached through a list's elements, so `list_append` on the path keeps each bound value whole. */
export function appendsElements(below: Below): boolean {
  return below.length > 0 && below.every((b) => b.remaining[0]?.kind === "each");
}

/** `SET path = <value>` where the value is not a form the encrypted field (or what holds it) can take. */
export function refuseSetValue(
  table: ResolvedTable,
  path: DocumentPath,
  below: Below,
  allowed: string,
): EncryptionError {
  const field = below[0]!.field.path;
  const where = pathText(path);
  const exact = below.length === 1 && below[0]!.remaining.length === 0;
  return refuse(
    table,
    exact
      ? `SET ${where}: the encrypted field "${field}" can only be set to ${allowed}; arithmetic, list_append, functions and copies cannot work on ciphertext.`
      : `SET ${where}: it holds the encrypted field "${field}", so it can only be set to ${allowed}.`,
    field,
  );
}

/** An expression value placeholder that ExpressionAttributeValues does not define. */
export function refuseUndefinedValue(table: ResolvedTable, name: string): EncryptionError {
  return refuse(table, `${name} is used but not defined in ExpressionAttributeValues.`);
}

/** Legacy `AttributeUpdates` on attribute `name`: `PUT` encrypts, `DELETE` of the attribute passes, the rest is refused. */
export function attributeUpdate(
  table: ResolvedTable,
  name: string,
  action: unknown,
  deletesElements: boolean,
): Below | undefined {
  beaconAttributeWritten(table, [name]);
  const relation = relate([name], table.fields);
  if (relation.kind === "none") return undefined;
  const field = encryptedFieldOf(relation)!;
  if (action === "DELETE") {
    if (deletesElements)
      throw refuse(
        table,
        `AttributeUpdates DELETE of set elements from "${name}" cannot work on the encrypted field "${field.path}".`,
        field.path,
      );
    return [];
  }
  if (action !== "PUT")
    throw refuse(
      table,
      `AttributeUpdates ${typeof action === "string" ? action : "action"} on "${name}" cannot work on the encrypted field "${field.path}".`,
      field.path,
    );
  return relation.kind === "ancestor" ? relation.below : [{ field, remaining: [] }];
}

/** A PartiQL statement that writes an encrypted field as a literal or computation: its text cannot be rewritten. */
export function refuseStatementValue(
  table: ResolvedTable,
  field: string,
  how: "literal" | "expression" | "computed",
): EncryptionError {
  return refuse(
    table,
    how === "computed"
      ? `The statement computes a value that holds the encrypted field "${field}"; pass it as a ? parameter.`
      : `The statement writes "${field}" as ${how === "literal" ? "a literal" : "an expression"}; the statement text cannot be rewritten, so pass the value as a ? parameter.`,
    field,
  );
}

// ---- Projections ----------------------------------------------------------

/**
 * A projected path (`ProjectionExpression`, a SELECT list): refused inside an
 * encrypted value; true when it returns encrypted values, whose key
 * attributes the response then needs.
 */
export function projectedPath(table: ResolvedTable, path: DocumentPath, clause: string): boolean {
  const relation = relate(path, table.fields);
  if (relation.kind === "inside")
    throw refuseOperation(
      table,
      `${clause} reaches inside the encrypted field "${relation.field.path}"; project the whole field instead.`,
      relation.field.path,
    );
  return relation.kind !== "none";
}

// ---- Beacons --------------------------------------------------------------

/** A write the caller made to a beacon attribute: only the plugin writes beacons, in step with their field. */
export function refuseBeaconWrite(
  table: ResolvedTable,
  attribute: string,
  field: string,
): EncryptionError {
  return new EncryptionError(
    "beacon.attributeWrite",
    `"${attribute}" is the beacon of the encrypted field "${field}"; the plugin writes it with the field, so a request may not write it. Nothing was sent.`,
    { table: table.name, field },
  );
}

/** A written path that is or is inside a beacon attribute: refused. */
export function beaconAttributeWritten(table: ResolvedTable, path: DocumentPath): void {
  const root = path[0];
  const field = typeof root === "string" ? table.beaconAttributes.get(root) : undefined;
  if (field) throw refuseBeaconWrite(table, root as string, field.path);
}

/** A WriteOnly client putting back a stored value of a beaconed field: it cannot compute the value's beacon. */
export function refuseBeaconWriteBack(table: ResolvedTable, field: string): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `A WriteOnly client puts back the stored value of "${field}", which has a beacon: it cannot read the value, so it cannot compute the beacon, and one passed along cannot be checked. Leave the field out and use UpdateItem for the other attributes. Nothing was sent.`,
    { table: table.name, field },
  );
}

/** An update form that would leave a beacon out of step with its field. */
export function refuseBeaconUpdate(
  table: ResolvedTable,
  path: DocumentPath,
  field: string,
): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `SET ${pathText(path)}: the field "${field}" has a beacon, which the plugin keeps in step only when the field (or what holds it) is set to a :value. if_not_exists cannot work: the field and its beacon would be tested separately (an item written before the beacon existed would get a beacon of the new value). Use SET with ConditionExpression attribute_not_exists instead. Nothing was sent.`,
    { table: table.name, field },
  );
}

/**
 * A PartiQL INSERT or UPDATE that writes these top-level attributes: a beacon
 * attribute is refused (the plugin writes beacons, in step with their
 * fields). An attribute that holds a beaconed field passes: the plugin
 * rewrites the statement to write or remove the beacon with it.
 */
export function statementWrites(table: ResolvedTable, roots: readonly string[]): void {
  for (const root of roots) beaconAttributeWritten(table, [root]);
}

/** A PartiQL tuple that names the same key twice on the way to a beaconed field: which value DynamoDB keeps is not the plugin's to guess. */
export function refuseRepeatedKey(
  table: ResolvedTable,
  key: string,
  field: string,
): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `The PartiQL tuple names '${key}' more than once on the way to the field "${field}", which has a beacon; the plugin cannot tell which value is written, so it cannot write the beacon. Name each key once. Nothing was sent.`,
    { table: table.name, field },
  );
}

/** A SELECT list that names part of the map holding a field the WHERE clause looks up by its beacon, but not the field. */
export function refusePartialMatchProjection(
  table: ResolvedTable,
  root: string,
  field: string,
): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `The SELECT list names part of "${root}" but not "${field}", which the WHERE clause looks up by its beacon: add "${field}" (or "${root}") so that items sharing its beacon can be told apart after decrypting. Nothing was sent.`,
    { table: table.name, field },
  );
}

/**
 * A PartiQL statement whose rewrite to beacons could not be proved to read
 * as the original with only the beacon substitutions (for example a beacon
 * attribute name that the statement grammar cannot quote safely).
 */
export function refuseStatementRewrite(table: ResolvedTable): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    "The plugin could not rewrite the PartiQL statement to its beacons in a way it can prove DynamoDB reads as the original plus the beacon substitutions (check the beacon attribute names). Use PutItem, UpdateItem or Query for this lookup or write. Nothing was sent.",
    { table: table.name },
  );
}
