/** What `npm pack` puts in the tarball, read from its dry-run listing (no build needed). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..", "..");

const packedPaths = (): string[] => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const [listing] = JSON.parse(out) as { files: { path: string }[] }[];
  return listing!.files.map((f) => f.path);
};

describe("the npm tarball", () => {
  it("includes LICENSE, README.md, package.json and docs, and no sources, tests or caches", () => {
    const paths = packedPaths();
    expect(paths).toEqual(
      expect.arrayContaining(["LICENSE", "README.md", "package.json", "docs/format.md"]),
    );
    expect(
      paths.filter((p) => /^(src|test|examples|scripts|\.cache|node_modules)\//.test(p)),
    ).toEqual([]);
  });

  it("ships as LICENSE the Apache License 2.0 that package.json names", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license: string };
    const text = readFileSync(join(root, "LICENSE"), "utf8");
    expect(pkg.license).toBe("Apache-2.0");
    expect(text).toMatch(
      /^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\/\s+TERMS AND CONDITIONS/,
    );
    expect(text).toContain("END OF TERMS AND CONDITIONS");
    // The full text, not a notice: all nine sections of the terms.
    for (let section = 1; section <= 9; section++) expect(text).toContain(`\n   ${section}. `);
  });
});
