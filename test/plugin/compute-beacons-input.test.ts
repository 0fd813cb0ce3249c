import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { computeBeacons, EncryptionError } from "../../src";
import { beaconSetup, localBeaconConfig } from "../support/beacon-setup";

describe("computeBeacons on an item that is not plaintext", () => {
  it("refuses a stored ciphertext (beacon.unsupportedValue) rather than hashing it", async () => {
    const config = await localBeaconConfig();
    const { fake, doc } = await beaconSetup(config);
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "u", sk: "p", email: "ada@example.com" } }),
    );
    const stored = fake.last("PutItem").body.Item.email as { S: string };
    expect(stored.S).toMatch(/^ENC:/);
    const error = await computeBeacons(config, "Users", { email: stored }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EncryptionError);
    expect((error as EncryptionError).code).toBe("beacon.unsupportedValue");
  });

  it("a plaintext that merely starts with ENC: still gets its beacon, the same the plugin writes", async () => {
    const config = await localBeaconConfig();
    const { fake, doc } = await beaconSetup(config);
    await doc.send(
      new PutCommand({ TableName: "Users", Item: { pk: "u", sk: "p", email: "ENC:hello" } }),
    );
    const { beacons } = await computeBeacons(config, "Users", { email: { S: "ENC:hello" } });
    expect(beacons.email__beacon).toEqual(fake.last("PutItem").body.Item.email__beacon);
  });
});
