import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import type { FieldEncryptionConfig } from "../config/config-types";

/** How the CLI reaches AWS: the SDK's default credential chain, with these overrides. */
export interface AwsOptions {
  /** `--region`; otherwise `AWS_REGION` and the rest of the SDK's resolution. */
  region?: string;
  /** `--profile`: a profile of the shared config and credentials files. */
  profile?: string;
  /** `--endpoint-url` (DynamoDB Local, say); otherwise `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`. */
  endpointUrl?: string;
}

/**
 * A `DynamoDBClient` without the plugin, configured as the AWS CLI would be:
 * `--endpoint-url`, else the standard endpoint variables (read here as well,
 * so that SDK versions from before their support honour them too).
 */
export function dynamoClient(options: AwsOptions, env = process.env): DynamoDBClient {
  const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  return new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
}

/**
 * The config, with a `KMSClient` for `--region` and `--profile` when it names
 * no way to KMS of its own. A config with `kmsClient`, `keyProvider` or
 * `region` is used as it is: the application's own way to KMS wins.
 */
export function withKms(
  config: FieldEncryptionConfig,
  options: AwsOptions,
  env = process.env,
): FieldEncryptionConfig {
  if (config.kmsClient || config.keyProvider || config.region) return config;
  return { ...config, kmsClient: kmsClient({ ...options, endpointUrl: undefined }, env) };
}

/**
 * A `KMSClient` configured as the AWS CLI would be: `--region`, `--profile`,
 * and `--endpoint-url`, else `AWS_ENDPOINT_URL_KMS` or `AWS_ENDPOINT_URL`.
 */
export function kmsClient(options: AwsOptions, env = process.env): KMSClient {
  const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL;
  return new KMSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
}
