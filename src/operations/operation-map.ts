/**
 * Where each DynamoDB operation carries items, keys and expressions, as data.
 * One traversal (request-plan.ts, response-plan.ts) is driven by this table;
 * there is no hand-written function per command.
 *
 * Paths are property names plus `*` (every entry of a map whose keys are table
 * names) and `[]` (every element of a list; its index links a response entry
 * to the request entry at the same index).
 */
export interface RequestScope {
  /** Path to the objects this scope covers. */
  path: readonly string[];
  /** Where the table name is: the object's `TableName`, or the `*` map key of the path. */
  table: "TableName" | "mapKey";
  /** Property holding an item to encrypt. */
  item?: string;
  /** Property holding the item's key (binding for response items that lack it). */
  key?: string;
  /** Condition, filter and key expressions (checked against encrypted paths). */
  expressions?: readonly string[];
  /** Property holding an update expression. */
  update?: string;
  /** Whether `ProjectionExpression` / `AttributesToGet` apply to returned items. */
  projection?: boolean;
  /** Legacy conditions (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`): existence checks only on encrypted attributes. */
  legacyConditions?: readonly string[];
  /** Legacy `AttributeUpdates`. */
  legacyUpdate?: string;
}

/** Items in a response body, and which request scope each belongs to. */
export interface ResponseSite {
  path: readonly string[];
  /**
   * `scope`: the single request scope (single-table operations);
   * `mapKey`: the table named by the `*` key;
   * `index`: the request scope at the same `[]` index.
   */
  table: "scope" | "mapKey" | "index";
}

export interface OperationSpec {
  request: readonly RequestScope[];
  /** Items to decrypt in a successful response. */
  response: readonly ResponseSite[];
  /** Items to decrypt in error bodies, by error name. */
  errors?: Readonly<Record<string, readonly ResponseSite[]>>;
  /** Unprocessed requests that go back to the caller as the caller sent them. */
  restore?: "UnprocessedItems" | "UnprocessedKeys";
}

const conditionFailed = {
  ConditionalCheckFailedException: [{ path: ["Item"], table: "scope" }],
} as const;

export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  PutItem: {
    request: [
      {
        path: [],
        table: "TableName",
        item: "Item",
        expressions: ["ConditionExpression"],
        legacyConditions: ["Expected"],
      },
    ],
    response: [{ path: ["Attributes"], table: "scope" }],
    errors: conditionFailed,
  },
  GetItem: {
    request: [{ path: [], table: "TableName", key: "Key", projection: true }],
    response: [{ path: ["Item"], table: "scope" }],
  },
  DeleteItem: {
    request: [
      {
        path: [],
        table: "TableName",
        key: "Key",
        expressions: ["ConditionExpression"],
        legacyConditions: ["Expected"],
      },
    ],
    response: [{ path: ["Attributes"], table: "scope" }],
    errors: conditionFailed,
  },
  UpdateItem: {
    request: [
      {
        path: [],
        table: "TableName",
        key: "Key",
        update: "UpdateExpression",
        expressions: ["ConditionExpression"],
        legacyConditions: ["Expected"],
        legacyUpdate: "AttributeUpdates",
      },
    ],
    response: [{ path: ["Attributes"], table: "scope" }],
    errors: conditionFailed,
  },
  Query: {
    request: [
      {
        path: [],
        table: "TableName",
        expressions: ["KeyConditionExpression", "FilterExpression"],
        projection: true,
        legacyConditions: ["QueryFilter", "KeyConditions"],
      },
    ],
    response: [{ path: ["Items", "[]"], table: "scope" }],
  },
  Scan: {
    request: [
      {
        path: [],
        table: "TableName",
        expressions: ["FilterExpression"],
        projection: true,
        legacyConditions: ["ScanFilter"],
      },
    ],
    response: [{ path: ["Items", "[]"], table: "scope" }],
  },
  BatchGetItem: {
    request: [{ path: ["RequestItems", "*"], table: "mapKey", projection: true }],
    response: [{ path: ["Responses", "*", "[]"], table: "mapKey" }],
    restore: "UnprocessedKeys",
  },
  BatchWriteItem: {
    request: [{ path: ["RequestItems", "*", "[]", "PutRequest"], table: "mapKey", item: "Item" }],
    response: [],
    restore: "UnprocessedItems",
  },
  TransactGetItems: {
    request: [
      { path: ["TransactItems", "[]", "Get"], table: "TableName", key: "Key", projection: true },
    ],
    response: [{ path: ["Responses", "[]", "Item"], table: "index" }],
  },
  TransactWriteItems: {
    request: [
      {
        path: ["TransactItems", "[]", "Put"],
        table: "TableName",
        item: "Item",
        expressions: ["ConditionExpression"],
      },
      {
        path: ["TransactItems", "[]", "Update"],
        table: "TableName",
        key: "Key",
        update: "UpdateExpression",
        expressions: ["ConditionExpression"],
      },
      {
        path: ["TransactItems", "[]", "Delete"],
        table: "TableName",
        key: "Key",
        expressions: ["ConditionExpression"],
      },
      {
        path: ["TransactItems", "[]", "ConditionCheck"],
        table: "TableName",
        key: "Key",
        expressions: ["ConditionExpression"],
      },
    ],
    response: [],
    errors: {
      TransactionCanceledException: [
        { path: ["CancellationReasons", "[]", "Item"], table: "index" },
      ],
    },
  },
};

/** PartiQL operations: where their statements are, and where their responses carry items. */
export interface PartiqlSpec {
  /** Path to each object holding `Statement` and `Parameters` (the root for ExecuteStatement). */
  statements: readonly string[];
  spec: OperationSpec;
}

export const PARTIQL_OPERATIONS: Readonly<Record<string, PartiqlSpec>> = {
  ExecuteStatement: {
    statements: [],
    spec: {
      request: [],
      response: [{ path: ["Items", "[]"], table: "scope" }],
      errors: conditionFailed,
    },
  },
  BatchExecuteStatement: {
    statements: ["Statements", "[]"],
    spec: {
      request: [],
      response: [
        { path: ["Responses", "[]", "Item"], table: "index" },
        { path: ["Responses", "[]", "Error", "Item"], table: "index" },
      ],
    },
  },
  ExecuteTransaction: {
    statements: ["TransactStatements", "[]"],
    spec: {
      request: [],
      response: [{ path: ["Responses", "[]", "Item"], table: "index" }],
      errors: {
        TransactionCanceledException: [
          { path: ["CancellationReasons", "[]", "Item"], table: "index" },
        ],
      },
    },
  },
};

/**
 * Operations that carry no item data: they pass through untouched. Any other
 * operation that names a configured table is refused (`operation.unknown`),
 * because the plugin cannot prove it safe.
 */
export const PASS_THROUGH_OPERATIONS: ReadonlySet<string> = new Set([
  "CreateBackup",
  "CreateGlobalTable",
  "CreateTable",
  "DeleteBackup",
  "DeleteResourcePolicy",
  "DeleteTable",
  "DescribeBackup",
  "DescribeContinuousBackups",
  "DescribeContributorInsights",
  "DescribeEndpoints",
  "DescribeExport",
  "DescribeGlobalTable",
  "DescribeGlobalTableSettings",
  "DescribeImport",
  "DescribeKinesisStreamingDestination",
  "DescribeLimits",
  "DescribeTable",
  "DescribeTableReplicaAutoScaling",
  "DescribeTimeToLive",
  "DisableKinesisStreamingDestination",
  "EnableKinesisStreamingDestination",
  "ExportTableToPointInTime",
  "GetResourcePolicy",
  "ListBackups",
  "ListContributorInsights",
  "ListExports",
  "ListGlobalTables",
  "ListImports",
  "ListTables",
  "ListTagsOfResource",
  "PutResourcePolicy",
  "RestoreTableFromBackup",
  "RestoreTableToPointInTime",
  "TagResource",
  "UntagResource",
  "UpdateContinuousBackups",
  "UpdateContributorInsights",
  "UpdateGlobalTable",
  "UpdateGlobalTableSettings",
  "UpdateKinesisStreamingDestination",
  "UpdateTable",
  "UpdateTableReplicaAutoScaling",
  "UpdateTimeToLive",
]);
