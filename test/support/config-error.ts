import { EncryptionError, type FieldEncryptionConfig } from "../../src";
import { resolveConfig } from "../../src/config/resolve-config";

/** The message of the `config.invalid` error that resolving `config` throws; fails the test if it is accepted. */
export function configError(config: FieldEncryptionConfig): string {
  try {
    resolveConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("config.invalid");
    return (error as Error).message;
  }
  throw new Error("the config was accepted");
}
