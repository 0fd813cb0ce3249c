import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { createJiti } from "jiti";
import type { FieldEncryptionConfig } from "../config/config-types";
import { EncryptionError } from "../errors/encryption-error";

const EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Loads the `--config` module: its default export, or a named export
 * `config`, is the `FieldEncryptionConfig` (a `.json` file is the config
 * itself). TypeScript is loaded with jiti, without a build step. The config
 * is validated later, by the engine, with the usual `config.invalid` errors.
 */
export async function loadConfig(path: string): Promise<FieldEncryptionConfig> {
  const file = resolve(path);
  const ext = extname(file);
  if (!EXTENSIONS.has(ext)) {
    throw new EncryptionError(
      "config.invalid",
      `--config ${path}: expected a .ts, .mts, .cts, .js, .mjs, .cjs or .json file`,
    );
  }
  let loaded: unknown;
  try {
    if (ext === ".json") {
      loaded = JSON.parse(await readFile(file, "utf8"));
    } else {
      const jiti = createJiti(file, { moduleCache: false, fsCache: false });
      loaded = await jiti.import(file);
    }
  } catch (error) {
    throw new EncryptionError(
      "config.invalid",
      `--config ${path}: could not be loaded (${error instanceof Error ? error.message.split("\n")[0] : "unknown error"})`,
      { cause: error },
    );
  }
  const module = isObject(loaded) ? loaded : {};
  const candidate =
    ext === ".json"
      ? loaded
      : (module.config ?? (isObject(module.default) ? module.default : undefined));
  const config =
    isObject(candidate) && isObject(candidate.config) && !("tables" in candidate)
      ? candidate.config
      : candidate;
  if (!isObject(config) || !isObject(config.tables)) {
    throw new EncryptionError(
      "config.invalid",
      `--config ${path}: expected a default export or a named export "config" holding a FieldEncryptionConfig (with "tables")`,
    );
  }
  return config as unknown as FieldEncryptionConfig;
}
