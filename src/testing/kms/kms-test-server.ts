import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { KeyStore, type TestKey } from "./key-store";
import { KmsFault } from "./kms-fault";
import { type KeyPolicyStatement, policyAllows } from "./key-policy";

/** Options for {@link KmsTestServer.start}. */
export interface KmsTestServerOptions {
  /** Region that key and alias ARNs carry. Clients may sign for any region. */
  region?: string;
  /** Account that key and alias ARNs carry. */
  accountId?: string;
  /** Milliseconds added to every call, to model KMS's network latency in benchmarks. */
  latencyMs?: number;
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
}

/** How the server fails while it is "unavailable". */
export type Unavailability = "refuse" | "error500";

/** Operations the server implements, by their `X-Amz-Target` name. */
export type KmsOperation =
  | "CreateKey"
  | "CreateAlias"
  | "DescribeKey"
  | "ListAliases"
  | "Encrypt"
  | "Decrypt"
  | "GenerateDataKey"
  | "GenerateDataKeyWithoutPlaintext"
  | "ReEncrypt"
  | "EnableKey"
  | "DisableKey"
  | "ScheduleKeyDeletion";

type Json = Record<string, unknown>;

const MAX_ENCRYPT_BYTES = 4096;

function b64(buffer: Buffer): string {
  return buffer.toString("base64");
}

function blobField(body: Json, name: string): Buffer {
  const value = body[name];
  if (typeof value !== "string" || value.length === 0)
    throw new KmsFault("ValidationException", `${name} is required`);
  return Buffer.from(value, "base64");
}

function contextField(body: Json, name: string): Record<string, string> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw new KmsFault("ValidationException", `${name} must be a map`);
  for (const v of Object.values(value))
    if (typeof v !== "string")
      throw new KmsFault("ValidationException", `${name} values must be strings`);
  return value as Record<string, string>;
}

/** The access key id from a SigV4 `Authorization` header. The signature itself is not checked. */
function accessKeyOf(request: IncomingMessage): string {
  const auth = request.headers.authorization ?? "";
  return /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? "anonymous";
}

/**
 * A KMS-compatible HTTP server for tests, on 127.0.0.1. It speaks the KMS JSON
 * 1.1 protocol, so the real `@aws-sdk/client-kms` talks to it with `endpoint`
 * set. Plaintext keys never leave this process except in `GenerateDataKey`
 * and `Decrypt` responses, as with KMS.
 *
 * Not for production: it keeps keys in memory and does not verify signatures;
 * it maps each request's access key id to the actions it may call.
 */
export class KmsTestServer {
  readonly keys: KeyStore;
  private server: Server;
  private port = 0;
  private readonly counts = new Map<string, number>();
  private readonly permissions = new Map<string, Set<string>>();
  /** Key policies by key id; a key without one lets every caller in (as a default key policy that defers to IAM). */
  private readonly policies = new Map<string, readonly KeyPolicyStatement[]>();
  private latency: () => number;
  private failures: { remaining: number; type: string; operations?: Set<string> } = {
    remaining: 0,
    type: "ThrottlingException",
  };
  private unavailable: Unavailability | false = false;
  private readonly sockets = new Set<Socket>();

  private constructor(options: KmsTestServerOptions) {
    this.keys = new KeyStore(options.region ?? "us-east-1", options.accountId ?? "111122223333");
    const latency = options.latencyMs ?? 0;
    this.latency = () => latency;
    this.server = this.makeServer();
  }

  /** Starts a server on a free loopback port. */
  static async start(options: KmsTestServerOptions = {}): Promise<KmsTestServer> {
    const server = new KmsTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  /** `http://127.0.0.1:<port>`, for a client's `endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get region(): string {
    return this.keys.region;
  }

  /**
   * A real `KMSClient` for this server. `accessKeyId` selects the caller whose
   * permissions apply (see {@link grant}); `maxAttempts` is the SDK's retry budget.
   */
  client(options: { accessKeyId?: string; maxAttempts?: number } = {}): KMSClient {
    return new KMSClient({
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId: options.accessKeyId ?? "test", secretAccessKey: "test" },
      maxAttempts: options.maxAttempts ?? 3,
    });
  }

  /** Creates a key directly, optionally with an alias (`alias/...`). */
  createKey(options: { alias?: string; description?: string } = {}): {
    keyId: string;
    arn: string;
  } {
    const key = this.keys.createKey(options.description);
    if (options.alias) this.keys.createAlias(options.alias, key.keyId);
    return { keyId: key.keyId, arn: key.arn };
  }

  disableKey(id: string): void {
    this.keys.resolve(id).enabled = false;
  }

  enableKey(id: string): void {
    this.keys.resolve(id).enabled = true;
  }

  /** Marks a key pending deletion: every cryptographic call with it fails, as in KMS. */
  scheduleKeyDeletion(id: string): void {
    this.keys.resolve(id).pendingDeletion = true;
  }

  /**
   * Limits what callers with `accessKeyId` may do, as IAM would, for example
   * `["kms:Decrypt"]`. Callers without a grant may do everything.
   */
  grant(accessKeyId: string, actions: readonly string[]): void {
    this.permissions.set(accessKeyId, new Set(actions));
  }

  /**
   * Sets the key policy of a key, as KMS's `PutKeyPolicy` would: from then on
   * only callers a statement allows, for its actions and with its
   * encryption-context condition, may use the key (their identity grants
   * still apply too). `undefined` removes the policy, letting everyone in.
   * Use it to model a customer's own key (BYOK) and its revocation.
   */
  setKeyPolicy(id: string, statements: readonly KeyPolicyStatement[] | undefined): void {
    const key = this.keys.resolve(id);
    if (statements === undefined) this.policies.delete(key.keyId);
    else this.policies.set(key.keyId, Object.freeze([...statements]));
  }

  /** Removes every permission of `accessKeyId` (access revoked). */
  revokeAll(accessKeyId: string): void {
    this.permissions.set(accessKeyId, new Set());
  }

  /** Lets `accessKeyId` do everything again. */
  resetPermissions(accessKeyId?: string): void {
    if (accessKeyId === undefined) this.permissions.clear();
    else this.permissions.delete(accessKeyId);
  }

  /** How many requests reached an operation (including those that then failed), or all of them. */
  calls(operation?: KmsOperation): number {
    if (operation) return this.counts.get(operation) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  resetCalls(): void {
    this.counts.clear();
  }

  /** Added latency per call: a fixed number of milliseconds, or a function for spikes. */
  setLatency(ms: number | (() => number)): void {
    this.latency = typeof ms === "number" ? () => ms : ms;
  }

  /** Fails the next `count` calls (optionally only of some operations) with `type`, by default `ThrottlingException`. */
  failNext(
    count: number,
    type = "ThrottlingException",
    operations?: readonly KmsOperation[],
  ): void {
    this.failures = {
      remaining: count,
      type,
      ...(operations ? { operations: new Set(operations) } : {}),
    };
  }

  /** Makes the server unavailable (`"refuse"`: connections refused; `"error500"`: HTTP 500s), or available again with `false`. */
  async setUnavailable(mode: Unavailability | false): Promise<void> {
    const wasRefusing = this.unavailable === "refuse";
    this.unavailable = mode;
    if (mode === "refuse" && !wasRefusing) await this.close();
    if (mode !== "refuse" && wasRefusing) {
      this.server = this.makeServer();
      await this.listen(this.port);
    }
  }

  async stop(): Promise<void> {
    if (this.unavailable !== "refuse") await this.close();
  }

  private makeServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolveListen, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolveListen();
      });
    });
  }

  private close(): Promise<void> {
    return new Promise((resolveClose) => {
      this.server.close(() => resolveClose());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("TrentService.")
      ? target.slice("TrentService.".length)
      : target;
    const send = (status: number, body: Json) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": randomUUID(),
      });
      res.end(text);
    };
    try {
      this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
      const delay = this.latency();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (this.unavailable === "error500")
        throw new KmsFault("KMSInternalException", "The service is unavailable", 500);
      const failures = this.failures;
      if (failures.remaining > 0 && (!failures.operations || failures.operations.has(operation))) {
        failures.remaining -= 1;
        throw new KmsFault(
          failures.type,
          failures.type === "ThrottlingException" ? "Rate exceeded" : `Injected ${failures.type}`,
        );
      }
      let body: Json;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json) : {};
      } catch {
        throw new KmsFault("SerializationException", "Request body is not valid JSON");
      }
      send(200, this.dispatch(operation, body, accessKeyOf(req)));
    } catch (error) {
      if (error instanceof KmsFault)
        send(error.statusCode, { __type: error.type, message: error.message });
      else send(500, { __type: "KMSInternalException", message: "Internal error" });
    }
  }

  private authorize(
    accessKeyId: string,
    action: string,
    resource: string,
    key?: TestKey,
    context?: Record<string, string>,
  ): void {
    const policy = key && this.policies.get(key.keyId);
    if (policy && !policyAllows(policy, accessKeyId, action, context)) {
      throw new KmsFault(
        "AccessDeniedException",
        `User: arn:aws:iam::${this.keys.accountId}:user/${accessKeyId} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`,
      );
    }
    const allowed = this.permissions.get(accessKeyId);
    if (allowed && !allowed.has(action) && !allowed.has("kms:*")) {
      throw new KmsFault(
        "AccessDeniedException",
        `User: arn:aws:iam::${this.keys.accountId}:user/${accessKeyId} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
      );
    }
  }

  private metadata(key: TestKey): Json {
    return {
      AWSAccountId: this.keys.accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.creationDate.getTime() / 1000,
      Enabled: key.enabled,
      Description: key.description,
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: key.pendingDeletion ? "PendingDeletion" : key.enabled ? "Enabled" : "Disabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    };
  }

  private dataKeyLength(body: Json): number {
    const spec = body.KeySpec;
    const bytes = body.NumberOfBytes;
    if ((spec === undefined) === (bytes === undefined)) {
      throw new KmsFault(
        "ValidationException",
        "Specify either KeySpec or NumberOfBytes, but not both",
      );
    }
    if (spec !== undefined) {
      if (spec === "AES_256") return 32;
      if (spec === "AES_128") return 16;
      throw new KmsFault(
        "ValidationException",
        `Value at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
      );
    }
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
      throw new KmsFault("ValidationException", "NumberOfBytes must be an integer from 1 to 1024");
    }
    return bytes;
  }

  private dispatch(operation: string, body: Json, caller: string): Json {
    const keys = this.keys;
    const str = (name: string) => (typeof body[name] === "string" ? body[name] : undefined);
    switch (operation) {
      case "CreateKey": {
        this.authorize(caller, "kms:CreateKey", "*");
        return { KeyMetadata: this.metadata(keys.createKey(str("Description"))) };
      }
      case "CreateAlias": {
        const target = keys.resolve(str("TargetKeyId"), { aliasesAllowed: false });
        this.authorize(caller, "kms:CreateAlias", target.arn);
        keys.createAlias(str("AliasName") ?? "", target.keyId);
        return {};
      }
      case "DescribeKey": {
        const key = keys.resolve(str("KeyId"));
        this.authorize(caller, "kms:DescribeKey", key.arn);
        return { KeyMetadata: this.metadata(key) };
      }
      case "ListAliases": {
        this.authorize(caller, "kms:ListAliases", "*");
        return { Aliases: keys.listAliases(str("KeyId")), Truncated: false };
      }
      case "EnableKey":
      case "DisableKey": {
        const key = keys.resolve(str("KeyId"), { aliasesAllowed: false });
        this.authorize(caller, `kms:${operation}`, key.arn);
        key.enabled = operation === "EnableKey";
        return {};
      }
      case "ScheduleKeyDeletion": {
        const key = keys.resolve(str("KeyId"), { aliasesAllowed: false });
        this.authorize(caller, "kms:ScheduleKeyDeletion", key.arn);
        key.pendingDeletion = true;
        return {
          KeyId: key.arn,
          KeyState: "PendingDeletion",
          DeletionDate: Date.now() / 1000 + 7 * 86400,
        };
      }
      case "Encrypt": {
        const key = keys.usable(str("KeyId"));
        this.authorize(
          caller,
          "kms:Encrypt",
          key.arn,
          key,
          contextField(body, "EncryptionContext"),
        );
        const plaintext = blobField(body, "Plaintext");
        if (plaintext.length > MAX_ENCRYPT_BYTES) {
          throw new KmsFault(
            "ValidationException",
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
          );
        }
        const blob = keys.encrypt(key, plaintext, contextField(body, "EncryptionContext"));
        return {
          CiphertextBlob: b64(blob),
          KeyId: key.arn,
          EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        };
      }
      case "GenerateDataKey":
      case "GenerateDataKeyWithoutPlaintext": {
        const key = keys.usable(str("KeyId"));
        this.authorize(
          caller,
          `kms:${operation}`,
          key.arn,
          key,
          contextField(body, "EncryptionContext"),
        );
        const plaintext = randomBytes(this.dataKeyLength(body));
        const blob = keys.encrypt(key, plaintext, contextField(body, "EncryptionContext"));
        const out: Json = { CiphertextBlob: b64(blob), KeyId: key.arn };
        if (operation === "GenerateDataKey") out.Plaintext = b64(plaintext);
        plaintext.fill(0);
        return out;
      }
      case "Decrypt": {
        const blob = blobField(body, "CiphertextBlob");
        const requested = str("KeyId");
        const blobKeyId = keys.keyIdOf(blob);
        if (requested !== undefined) {
          const key = keys.resolve(requested);
          if (blobKeyId !== undefined && blobKeyId !== key.keyId) {
            throw new KmsFault(
              "IncorrectKeyException",
              "The key ID in the request does not identify a KMS key that can perform this operation.",
            );
          }
        }
        const blobKey = keys.find(blobKeyId);
        this.authorize(
          caller,
          "kms:Decrypt",
          blobKey?.arn ?? "*",
          blobKey,
          contextField(body, "EncryptionContext"),
        );
        const { key, plaintext } = keys.decrypt(blob, contextField(body, "EncryptionContext"));
        return {
          KeyId: key.arn,
          Plaintext: b64(plaintext),
          EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        };
      }
      case "ReEncrypt": {
        const blob = blobField(body, "CiphertextBlob");
        const sourceId = str("SourceKeyId");
        const blobKeyId = keys.keyIdOf(blob);
        if (
          sourceId !== undefined &&
          blobKeyId !== undefined &&
          keys.resolve(sourceId).keyId !== blobKeyId
        ) {
          throw new KmsFault(
            "IncorrectKeyException",
            "The key ID in the request does not identify a KMS key that can perform this operation.",
          );
        }
        const destination = keys.usable(str("DestinationKeyId"));
        const sourceKey = keys.find(blobKeyId);
        this.authorize(
          caller,
          "kms:ReEncryptFrom",
          sourceKey?.arn ?? "*",
          sourceKey,
          contextField(body, "SourceEncryptionContext"),
        );
        this.authorize(
          caller,
          "kms:ReEncryptTo",
          destination.arn,
          destination,
          contextField(body, "DestinationEncryptionContext"),
        );
        const { key: source, plaintext } = keys.decrypt(
          blob,
          contextField(body, "SourceEncryptionContext"),
        );
        const out = keys.encrypt(
          destination,
          plaintext,
          contextField(body, "DestinationEncryptionContext"),
        );
        plaintext.fill(0);
        return {
          CiphertextBlob: b64(out),
          SourceKeyId: source.arn,
          KeyId: destination.arn,
          SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
          DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        };
      }
      default:
        throw new KmsFault(
          "UnknownOperationException",
          `Operation ${operation} is not supported by the KMS test server`,
        );
    }
  }
}
