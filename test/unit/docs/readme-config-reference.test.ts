/**
 * README's configuration reference names every option the config types
 * accept, at each level, and no option they do not. The options are read from
 * `src/config/config-types.ts` with the TypeScript compiler, so a new option
 * without a README row fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const root = join(__dirname, "..", "..", "..");

/** Property names of each interface in the file, with those of the interfaces it extends. */
function interfaceMembers(path: string): Map<string, Set<string>> {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022);
  const own = new Map<string, { members: string[]; bases: string[] }>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    own.set(node.name.text, {
      members: node.members.flatMap((m) =>
        m.name && ts.isIdentifier(m.name) ? [m.name.text] : [],
      ),
      bases: (node.heritageClauses ?? []).flatMap((h) =>
        h.types.map((t) => t.expression.getText(source)),
      ),
    });
  });
  const all = (name: string): string[] => {
    const entry = own.get(name);
    return entry ? [...entry.members, ...entry.bases.flatMap(all)] : [];
  };
  return new Map([...own.keys()].map((name) => [name, new Set(all(name))]));
}

/** The backticked names in the first column of the table under a README heading. */
function optionsInTable(readme: string, heading: string): Set<string> {
  const section = readme.split(`\n${heading}\n`)[1]!.split("\n#")[0]!;
  const rows = section.split("\n").filter((line) => /^\| `/.test(line));
  return new Set(
    rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)),
  );
}

describe("README's configuration reference", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const types = interfaceMembers(join(root, "src", "config", "config-types.ts"));

  it("lists every top-level option of FieldEncryptionConfig, scheme and format included", () => {
    const documented = optionsInTable(readme, "### Top level");
    expect([...documented].sort()).toEqual([...types.get("FieldEncryptionConfig")!].sort());
    expect([...documented]).toEqual(expect.arrayContaining(["scheme", "format"]));
  });

  it("lists every table option of TableOptions", () => {
    expect([...optionsInTable(readme, "### Tables")].sort()).toEqual(
      [...types.get("TableOptions")!].sort(),
    );
  });

  it("names every field option (FieldOptions: FieldPolicy and beacon) in the fields row", () => {
    const row = readme.split("\n").find((line) => line.startsWith("| `fields`"))!;
    const named = new Set([...row.split("|")[2]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    expect([...named].sort()).toEqual([...types.get("FieldOptions")!].sort());
  });
});
