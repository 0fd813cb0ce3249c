import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // `npm run build` empties dist/ first; two configs cleaning it in parallel would race.
    clean: false,
    target: "node20",
    splitting: false,
    treeshake: true,
    // Classes keep their names (EncryptionError, not _EncryptionError) in messages and inspect().
    keepNames: true,
  },
  {
    // The `dynamodb-field-encryption` binary: one CommonJS file with a shebang.
    entry: { "cli/main": "src/cli/main.ts" },
    format: ["cjs"],
    dts: false,
    sourcemap: true,
    clean: false,
    target: "node20",
    splitting: false,
    treeshake: true,
    keepNames: true,
    banner: { js: "#!/usr/bin/env node" },
  },
]);
