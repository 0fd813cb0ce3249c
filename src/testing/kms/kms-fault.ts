/** An error the KMS test server returns in the KMS JSON protocol: `{"__type": name, "message": …}`. */
export class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}
