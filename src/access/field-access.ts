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
  "Ciphertext is randomised, so comparisons on it cannot work. Blind indexes, which allow equality lookups on encrypted fields, are not yet available.";

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
 * A path compared in `clause` (`=`, `<`, BETWEEN, IN, begins_with, contains…):
 * passes when it touches no encrypted field; refused otherwise.
 */
export function comparedPath(table: ResolvedTable, path: DocumentPath, clause: string): void {
  const field = encryptedFieldOf(relate(path, table.fields));
  if (field)
    throw refuse(
      table,
      `${clause} compares ${pathText(path)}, which is or holds the encrypted field "${field.path}". ${BLIND_INDEX_HINT}`,
      field.path,
    );
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

/** An update form that would leave a beacon out of step with its field. */
export function refuseBeaconUpdate(
  table: ResolvedTable,
  path: DocumentPath,
  field: string,
): EncryptionError {
  return new EncryptionError(
    "beacon.unsupportedQuery",
    `SET ${pathText(path)}: the field "${field}" has a beacon, which the plugin keeps in step only when the field (or what holds it) is set to a :value, or the field itself to if_not_exists(${field}, :value). Nothing was sent.`,
    { table: table.name, field },
  );
}
