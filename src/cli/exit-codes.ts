/** The CLI's exit codes, which pipelines can rely on. */
export const EXIT = {
  /** Every line was transformed and written. */
  ok: 0,
  /** The output is incomplete: lines failed, the input was malformed or truncated, or a KMS call failed. */
  failed: 1,
  /** Nothing was done: bad arguments, or a config that cannot be loaded or is invalid. */
  usage: 2,
  /**
   * `verify`: values are not in their field's target state (plaintext, a
   * retired key, another format, undecryptable). `migrate`: it finished, but
   * undecryptable values were left as they are (or, with `--dry-run`, values
   * would be rewritten).
   */
  notCurrent: 3,
  /** Stopped by SIGINT; the output is incomplete (table commands: the checkpoint is saved). */
  interrupted: 130,
  /** Stopped by SIGTERM; the output is incomplete. */
  terminated: 143,
} as const;
