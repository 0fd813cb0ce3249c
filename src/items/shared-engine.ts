import type { FieldEncryptionConfig } from "../config/config-types";
import { resolveConfig } from "../config/resolve-config";
import type { ResolvedConfig } from "../config/resolved-config";
import { ItemCipher } from "../engine/item-cipher";

/** The resolved config and the engine (with its data-key cache) that the plugin and the item API run on. */
export interface SharedEngine {
  readonly resolved: ResolvedConfig;
  readonly cipher: ItemCipher;
}

/** Marks an object that carries a {@link SharedEngine}: the item encryptor. */
export const ENGINE = Symbol.for("dynamodb-field-encryption.engine");

/** Something that carries an engine to share, such as an `ItemEncryptor`. */
export interface EngineCarrier {
  readonly [ENGINE]: SharedEngine;
}

function carriesEngine(value: unknown): value is EngineCarrier {
  return typeof value === "object" && value !== null && ENGINE in value;
}

/**
 * The engine of an item encryptor, shared as it is, or a new one for a config
 * (validated here, once: mistakes throw `config.invalid` with their location).
 */
export function sharedEngine(source: FieldEncryptionConfig | EngineCarrier): SharedEngine {
  if (carriesEngine(source)) return source[ENGINE];
  const resolved = resolveConfig(source);
  return { resolved, cipher: new ItemCipher(resolved) };
}
