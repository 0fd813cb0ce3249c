/**
 * One statement of a key policy on the KMS test server: which callers may
 * call which actions on the key, and under which encryption context. It
 * models the BYOK pattern where a customer's key policy grants a service's
 * role `kms:GenerateDataKey` and `kms:Decrypt` only with
 * `"Condition": { "StringEquals": { "kms:EncryptionContext:tenant": "acme" } }`.
 */
export interface KeyPolicyStatement {
  /** Access key ids of the callers this statement allows; `"*"` for any caller. */
  principals: readonly string[];
  /** Actions it allows, such as `"kms:Decrypt"`; `"kms:*"` for all. */
  actions: readonly string[];
  /**
   * `kms:EncryptionContext:<key>` `StringEquals` conditions: the request's
   * encryption context must hold each of these entries exactly.
   */
  encryptionContext?: Readonly<Record<string, string>>;
}

/** Whether a key policy allows `caller` to call `action` with `context`, as KMS evaluates an Allow statement with StringEquals conditions. */
export function policyAllows(
  statements: readonly KeyPolicyStatement[],
  caller: string,
  action: string,
  context: Readonly<Record<string, string>> | undefined,
): boolean {
  return statements.some(
    (s) =>
      (s.principals.includes("*") || s.principals.includes(caller)) &&
      (s.actions.includes(action) || s.actions.includes("kms:*")) &&
      Object.entries(s.encryptionContext ?? {}).every(
        ([k, v]) => context !== undefined && Object.hasOwn(context, k) && context[k] === v,
      ),
  );
}
