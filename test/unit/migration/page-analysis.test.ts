import fc from "fast-check";
import type { EncryptionError } from "../../../src";
import {
  createItemEncryptor,
  type FieldEncryptionConfig,
  type JsonItem,
  LocalKeyProvider,
} from "../../../src";
import { sharedEngine } from "../../../src/items/shared-engine";
import { planRewrites } from "../../../src/migration/item-rewrite";
import { KeyLocator } from "../../../src/migration/key-locator";
import { migrationFields } from "../../../src/migration/migration-field";
import { analysePage } from "../../../src/migration/page-analysis";

const K1 = new Uint8Array(32).fill(1);
const K2 = new Uint8Array(32).fill(2);
const provider = new LocalKeyProvider({ keys: { k2: K2 }, decryptOnlyKeys: { k1: K1 } });
const writerProvider = new LocalKeyProvider({ keys: { k1: K1, k2: K2 } });

const table = (fieldOptions: object) => ({
  Users: { partitionKey: "pk", fields: { ssn: fieldOptions, "card.number": fieldOptions } },
});
const target: FieldEncryptionConfig = {
  keyId: "k2",
  keyProvider: provider,
  tables: table({ decryptOnlyKeyIds: ["k1"], acceptFormats: ["pydynox"] }),
};
const writer = (keyId: string, options: object = {}) =>
  createItemEncryptor(
    { keyId, keyProvider: writerProvider, tables: table(options) },
    { shape: "json" },
  );

const engine = sharedEngine(target);
const resolved = engine.resolved.tables.get("Users")!;
const targets = migrationFields(resolved, undefined);
const item = (pk: string, ssn: string): JsonItem => ({ pk: { S: pk }, ssn: { S: ssn } });

async function stateOf(stored: JsonItem): Promise<unknown> {
  const [analysis] = await analysePage(engine, new KeyLocator(provider), targets, [stored]);
  return analysis!.fields[0]!.states;
}

describe("analysePage: the state of each stored value", () => {
  it("tells plaintext, current, retired-key, other-format, tampered and misshapen values apart", async () => {
    const current = await writer("k2").encryptItem("Users", item("a", "x"));
    const retired = await writer("k1").encryptItem("Users", item("b", "x"));
    const pydynox = await writer("k2", { format: "pydynox" }).encryptItem("Users", item("c", "x"));
    const tampered = {
      ...current,
      ssn: { S: (current.ssn as { S: string }).S.slice(0, -6) + "AAAAAA" },
    } as JsonItem;
    expect(await stateOf(item("p", "123"))).toEqual([{ kind: "plaintext" }]);
    expect(await stateOf(current)).toEqual([
      { kind: "current", format: "native", scheme: "envelope", keyId: "k2" },
    ]);
    expect(await stateOf(retired)).toEqual([
      {
        kind: "notCurrent",
        keys: true,
        formats: false,
        format: "native",
        scheme: "envelope",
        keyId: "k1",
      },
    ]);
    expect(await stateOf(pydynox)).toEqual([
      {
        kind: "notCurrent",
        keys: false,
        formats: true,
        format: "pydynox",
        scheme: "envelope",
        keyId: "k2",
      },
    ]);
    expect(await stateOf(tampered)).toEqual([
      { kind: "undecryptable", code: "ciphertext.tampered" },
    ]);
    // A value copied from another item does not decrypt here: the binding is checked.
    expect(await stateOf({ ...current, pk: { S: "other" } })).toEqual([
      { kind: "undecryptable", code: "ciphertext.tampered" },
    ]);
    const [misshapen] = await analysePage(engine, new KeyLocator(provider), targets, [
      { pk: { S: "m" }, card: { S: "4111" } },
    ]);
    expect(misshapen!.fields[1]!.states).toEqual([
      { kind: "invalid", code: "value.unsupportedType" },
    ]);
    expect(await stateOf({ pk: { S: "none" } })).toEqual([]);
  });

  it("property: a stored string is plaintext exactly when it lacks the ENC: prefix; text with the prefix that is no ciphertext is undecryptable, never plaintext", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `ENC:${s}`),
        ),
        async (text) => {
          const [state] = (await stateOf(item("p", text))) as { kind: string }[];
          expect(state!.kind).toBe(text.startsWith("ENC:") ? "undecryptable" : "plaintext");
        },
      ),
    );
  });
});

describe("planRewrites", () => {
  it("property: rewrites only the kinds asked for, leaves current and undecryptable values byte for byte, and every rewritten value is a ciphertext under the current key", async () => {
    const current = await writer("k2").encryptItem("Users", item("a", "x"));
    const retired = await writer("k1").encryptItem("Users", item("a", "y"));
    const kinds = ["plaintext", "keys", "formats"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray([...kinds], { minLength: 1 }),
        fc.constantFrom("plain", "current", "retired", "bad"),
        fc.constantFrom("plain", "current", "missing"),
        async (only, ssnKind, cardKind) => {
          const stored: JsonItem = { pk: { S: "a" }, other: { S: "kept" } };
          if (ssnKind === "plain") stored.ssn = { S: "123" };
          if (ssnKind === "current") stored.ssn = current.ssn!;
          if (ssnKind === "retired") stored.ssn = retired.ssn!;
          if (ssnKind === "bad") stored.ssn = { S: "ENC:nope" };
          if (cardKind === "plain")
            stored.card = { M: { number: { S: "4111" }, brand: { S: "v" } } };
          if (cardKind === "current") {
            const c = await writer("k2").encryptItem("Users", {
              pk: { S: "a" },
              card: { M: { number: { S: "4111" }, brand: { S: "v" } } },
            });
            stored.card = c.card!;
          }
          const snapshot = structuredClone(stored);
          const page = await analysePage(engine, new KeyLocator(provider), targets, [stored]);
          const [plan] = await planRewrites(engine, page, new Set(only));
          expect(stored).toEqual(snapshot); // the item read is never changed
          const wantSsn =
            (ssnKind === "plain" && only.includes("plaintext")) ||
            (ssnKind === "retired" && only.includes("keys"));
          const wantCard = cardKind === "plain" && only.includes("plaintext");
          if (!wantSsn && !wantCard) return expect(plan).toEqual({ kind: "none" });
          expect(plan!.kind).toBe("write");
          const write = (
            plan as { write: { sets: Map<string, JsonItem[string]>; expect: Map<string, unknown> } }
          ).write;
          expect([...write.sets.keys()].sort()).toEqual(
            [...(wantSsn ? ["ssn"] : []), ...(wantCard ? ["card"] : [])].sort(),
          );
          for (const [name, old] of write.expect) expect(old).toEqual(snapshot[name]);
          const after = { ...snapshot, ...Object.fromEntries(write.sets) };
          const [check] = await analysePage(engine, new KeyLocator(provider), targets, [after]);
          const [ssnAfter, cardAfter] = check!.fields.map((f) => f.states[0]?.kind);
          if (wantSsn) expect(ssnAfter).toBe("current");
          else expect(after.ssn).toEqual(snapshot.ssn);
          if (wantCard) expect(cardAfter).toBe("current");
          else expect(after.card).toEqual(snapshot.card);
          if (wantCard)
            expect((write.sets.get("card") as { M: JsonItem }).M.brand).toEqual({ S: "v" });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("migrationFields", () => {
  it("refuses a --fields path the table does not configure", () => {
    expect(() => migrationFields(resolved, ["ssn", "sssn"])).toThrow(
      expect.objectContaining({ code: "migration.optionsInvalid" }) as EncryptionError,
    );
  });
});
