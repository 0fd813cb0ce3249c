import fc from "fast-check";
import {
  computeBeacons,
  createItemEncryptor,
  type FieldEncryptionConfig,
  type JsonItem,
} from "../../../src";
import { sharedEngine } from "../../../src/items/shared-engine";
import { planBeaconWrites } from "../../../src/migration/beacon-rewrite";
import type { BeaconState } from "../../../src/migration/beacon-state";
import { planRewrites } from "../../../src/migration/item-rewrite";
import { KeyLocator } from "../../../src/migration/key-locator";
import { migrationFields } from "../../../src/migration/migration-field";
import { analysePage } from "../../../src/migration/page-analysis";
import { localBeaconConfig } from "../../support/beacon-setup";

let config: FieldEncryptionConfig;
let engine: ReturnType<typeof sharedEngine>;
let targets: ReturnType<typeof migrationFields>;
let writer: ReturnType<typeof createItemEncryptor<"json">>;

beforeAll(async () => {
  config = await localBeaconConfig();
  engine = sharedEngine(config);
  targets = migrationFields(engine.resolved.tables.get("Users")!, undefined);
  writer = createItemEncryptor(config, { shape: "json" });
});

const key = (pk: string): JsonItem => ({ pk: { S: pk }, sk: { S: "s" } });
/** The beacon the plugin writes for this email (normalised: trim, lowercase). */
const beaconOf = async (email: string) =>
  (await computeBeacons(config, "Users", { ...key("x"), email: { S: email } })).beacons
    .email__beacon!.S;

async function analyse(items: JsonItem[], beacons = true) {
  return analysePage(engine, new KeyLocator(engine.resolved.provider), targets, items, beacons);
}

/** The email field's beacon state of one stored item. */
async function emailBeacon(item: JsonItem): Promise<BeaconState | undefined> {
  const [a] = await analyse([item]);
  return a!.fields.find((f) => f.target.field.path === "email")!.beacon?.state;
}

describe("analysePage with beacons: the state of each item's beacon", () => {
  it("tells current, missing, stale (another beacon, or not type S), orphan, absent and uncheckable beacons apart", async () => {
    const written = await writer.encryptItem("Users", { ...key("a"), email: { S: "Alice@X" } });
    const other = await writer.encryptItem("Users", { ...key("a"), email: { S: "bob@x" } });
    const alice = await beaconOf("alice@x");
    const noBeacon = { ...written };
    delete noBeacon.email__beacon;

    expect(await emailBeacon(written)).toEqual({ kind: "current" });
    expect(await emailBeacon(noBeacon)).toEqual({ kind: "missing", beacon: alice });
    expect(await emailBeacon({ ...written, email__beacon: other.email__beacon! })).toEqual({
      kind: "stale",
      beacon: alice,
    });
    expect(await emailBeacon({ ...written, email__beacon: { N: "1" } })).toEqual({
      kind: "stale",
      beacon: alice,
    });
    expect(await emailBeacon({ ...written, email__beacon: { S: `${alice} ` } })).toEqual({
      kind: "stale",
      beacon: alice,
    });
    // Only the whole beacon is current: a prefix of it (a truncated beacon), an empty one, or one that extends it is stale.
    for (const stored of [alice.slice(0, -1), alice.slice(0, 1), "", `${alice}0`])
      expect(await emailBeacon({ ...written, email__beacon: { S: stored } })).toEqual({
        kind: "stale",
        beacon: alice,
      });
    // Plaintext: the beacon is computed from the stored value, normalised as on a write.
    expect(await emailBeacon({ ...key("p"), email: { S: "  ALICE@x " } })).toEqual({
      kind: "missing",
      beacon: alice,
    });
    expect(
      await emailBeacon({ ...key("p"), email: { S: "alice@X" }, email__beacon: { S: alice } }),
    ).toEqual({ kind: "current" });
    // A beacon beside no value: the field absent or NULL.
    expect(await emailBeacon({ ...key("o"), email__beacon: { S: alice } })).toEqual({
      kind: "orphan",
    });
    expect(
      await emailBeacon({ ...key("o"), email: { NULL: true }, email__beacon: { S: alice } }),
    ).toEqual({ kind: "orphan" });
    expect(await emailBeacon({ ...key("n") })).toEqual({ kind: "absent" });
    // Never guessed: a value that does not decrypt, or that beacons cannot cover.
    const tampered = (written.email as { S: string }).S.slice(0, -6) + "AAAAAA";
    expect(await emailBeacon({ ...written, email: { S: tampered } })).toEqual({
      kind: "uncheckable",
      code: "ciphertext.tampered",
    });
    expect(await emailBeacon({ ...key("b"), email: { BOOL: true } })).toEqual({
      kind: "uncheckable",
      code: "beacon.unsupportedValue",
    });
  });

  it("a misshapen parent makes a nested field's beacon uncheckable; a field without a beacon has no beacon state; without beacons in scope none is classified", async () => {
    const [a] = await analyse([{ ...key("m"), profile: { S: "555" }, ssn: { S: "1" } }]);
    const byPath = Object.fromEntries(a!.fields.map((f) => [f.target.field.path, f.beacon]));
    expect(byPath["profile.phone"]!.state).toEqual({
      kind: "uncheckable",
      code: "value.unsupportedType",
    });
    expect(byPath.ssn).toBeUndefined();
    const [off] = await analyse([{ ...key("m"), email: { S: "a@x" } }], false);
    expect(off!.fields.every((f) => f.beacon === undefined)).toBe(true);
  });
});

describe("planBeaconWrites", () => {
  const emails = fc.constantFrom("a@x", "B@x ", "c@x");
  /** How the email and its beacon are stored, before the migration. */
  const storedCase = fc.record({
    value: fc.oneof(
      fc.constant({ kind: "absent" as const }),
      fc.constant({ kind: "null" as const }),
      fc.constant({ kind: "bool" as const }),
      fc.constant({ kind: "tampered" as const }),
      emails.map((email) => ({ kind: "plain" as const, email })),
      emails.map((email) => ({ kind: "encrypted" as const, email })),
    ),
    beacon: fc.oneof(
      fc.constant({ kind: "absent" as const }),
      fc.constant({ kind: "number" as const }),
      fc.constant({ kind: "empty" as const }),
      emails.map((email) => ({ kind: "of" as const, email })),
      // A truncated beacon: the first 0 to 3 of its 4 hex digits.
      fc.record({
        kind: fc.constant("prefix" as const),
        email: emails,
        digits: fc.integer({ min: 0, max: 3 }),
      }),
    ),
    only: fc.subarray(["plaintext", "keys", "formats", "beacons"] as const, { minLength: 1 }),
  });

  it("property: the planned write is conditional on the field's and the beacon's raw values as read, never writes a beacon it could not check or of a plaintext value it does not encrypt, and leaves every other beacon current or absent", async () => {
    const sealed = new Map<string, JsonItem>();
    for (const e of ["a@x", "B@x ", "c@x"])
      sealed.set(e, await writer.encryptItem("Users", { ...key("k"), email: { S: e } }));
    const beacons = new Map<string, string>();
    for (const e of ["a@x", "B@x ", "c@x"]) beacons.set(e, await beaconOf(e));
    await fc.assert(
      fc.asyncProperty(storedCase, async ({ value, beacon, only }) => {
        const stored: JsonItem = { ...key("k"), other: { S: "kept" } };
        if (value.kind === "null") stored.email = { NULL: true };
        if (value.kind === "bool") stored.email = { BOOL: false };
        if (value.kind === "tampered") stored.email = { S: "ENC:AAAA" };
        if (value.kind === "plain") stored.email = { S: value.email };
        if (value.kind === "encrypted") stored.email = sealed.get(value.email)!.email!;
        if (beacon.kind === "number") stored.email__beacon = { N: "7" };
        if (beacon.kind === "of") stored.email__beacon = { S: beacons.get(beacon.email)! };
        if (beacon.kind === "empty") stored.email__beacon = { S: "" };
        if (beacon.kind === "prefix")
          stored.email__beacon = { S: beacons.get(beacon.email)!.slice(0, beacon.digits) };
        const snapshot = structuredClone(stored);
        const inScope = only.includes("beacons");
        const page = await analyse([stored], inScope);
        const plans = await planRewrites(engine, page, new Set(only));
        const deferred: string[] = [];
        if (inScope) planBeaconWrites(page, plans, (path) => deferred.push(path));
        expect(stored).toEqual(snapshot); // the item read is never changed
        const plan = plans[0]!;
        const state = page[0]!.fields.find((f) => f.target.field.path === "email")!.beacon?.state;
        const stale =
          state?.kind === "missing" || state?.kind === "stale" || state?.kind === "orphan";
        // email does not allow plaintext: a plaintext value's beacon waits for its encryption.
        const waits = stale && value.kind === "plain" && !only.includes("plaintext");
        expect(deferred).toEqual(waits ? ["email"] : []);
        const repair = stale && !waits;
        if (!inScope) expect(state).toBeUndefined();
        // A truncated or empty beacon is never the current one.
        if (beacon.kind === "empty" || beacon.kind === "prefix")
          expect(state?.kind).not.toBe("current");
        if (plan.kind !== "write") {
          expect(repair).toBe(false);
          return;
        }
        const { write } = plan;
        // Every attribute written or removed is conditional on its raw value read (undefined: absent).
        for (const name of [...write.sets.keys(), ...write.removes])
          expect(write.expect.has(name)).toBe(true);
        for (const [name, old] of write.expect) expect(old).toEqual(snapshot[name]);
        if (!repair) {
          expect(write.sets.has("email__beacon") || write.removes.has("email__beacon")).toBe(false);
          return;
        }
        expect(write.expect.has("email")).toBe(true);
        const after: JsonItem = { ...snapshot, ...Object.fromEntries(write.sets) };
        for (const name of write.removes) delete after[name];
        const [check] = await analyse([after]);
        const then = check!.fields.find((f) => f.target.field.path === "email")!.beacon!.state;
        expect(["current", "absent"]).toContain(then.kind);
        expect(after.other).toEqual({ S: "kept" });
      }),
      { numRuns: 120 },
    );
  });

  it("by default an item's encrypted value and its new beacon go in one write", async () => {
    const page = await analyse([{ ...key("p"), email: { S: "Zed@x" } }]);
    const plans = await planRewrites(engine, page, new Set(["plaintext", "beacons"] as const));
    planBeaconWrites(page, plans);
    const write = (plans[0] as { kind: "write"; write: { sets: Map<string, { S: string }> } })
      .write;
    expect([...write.sets.keys()].sort()).toEqual(["email", "email__beacon"]);
    expect(write.sets.get("email")!.S.startsWith("ENC:")).toBe(true);
    expect(write.sets.get("email__beacon")).toEqual({ S: await beaconOf("zed@x") });
  });
});
