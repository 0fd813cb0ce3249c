/** The CLI's exit codes, which pipelines can rely on. */
export const EXIT = {
  /** Every line was transformed and written. */
  ok: 0,
  /** The output is incomplete: lines failed, the input was malformed or truncated, or a KMS call failed. */
  failed: 1,
  /** Nothing was done: bad arguments, or a config that cannot be loaded or is invalid. */
  usage: 2,
  /** Stopped by SIGINT; the output is incomplete. */
  interrupted: 130,
  /** Stopped by SIGTERM; the output is incomplete. */
  terminated: 143,
} as const;
