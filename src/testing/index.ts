/**
 * Test helpers for users of dynamodb-field-encryption: a KMS-compatible server
 * that the real `@aws-sdk/client-kms` talks to. `mockClient()` replaces
 * `client.send`, so the plugin's middleware never runs there; test against this
 * server (and DynamoDB Local) instead.
 */
export { KmsTestServer } from "./kms/kms-test-server";
export type { KeyPolicyStatement } from "./kms/key-policy";
export type { KmsOperation, KmsTestServerOptions, Unavailability } from "./kms/kms-test-server";
