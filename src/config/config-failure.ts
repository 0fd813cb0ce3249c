import { EncryptionError } from "../errors/encryption-error";

/** Throws `config.invalid` with the place of the mistake first: `tables.Users.fields.ssn.mode: …`. */
export function fail(where: string, message: string): never {
  throw new EncryptionError("config.invalid", `${where}: ${message}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A name as a step of a config path: `.name`, or `["a.b"]` when it is not an identifier. */
export function quote(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
