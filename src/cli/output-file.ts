import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/**
 * Opens `path` for the CLI's `-o` output: a new file, readable and writable
 * by its owner only (0600), since `export-decrypt` writes plaintext there.
 * An existing file or symlink at `path` is refused (`EEXIST`) rather than
 * truncated: truncating keeps the old file's mode and owner, and a symlink
 * planted there would redirect the plaintext. `O_NOFOLLOW` is added where the
 * platform has it, although `O_EXCL` already refuses a symlink.
 */
export function openOutputFile(path: string): Promise<FileHandle> {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  return open(path, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0), 0o600);
}
