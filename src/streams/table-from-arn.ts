/**
 * The table name in a DynamoDB stream ARN,
 * `arn:aws:dynamodb:us-east-1:123456789012:table/Users/stream/2024-01-01T00:00:00.000`,
 * or undefined when the text is not one.
 */
export function tableFromStreamArn(arn: string | undefined): string | undefined {
  if (typeof arn !== "string") return undefined;
  const match =
    /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([a-zA-Z0-9_.-]{3,255})\/stream\/[^/]+$/.exec(arn);
  return match?.[1];
}
