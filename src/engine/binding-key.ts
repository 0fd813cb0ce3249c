import type { itemKey } from "../format/binding";

/** The key attributes a value is bound to: name and canonical bytes, partition key first. */
export type BindingKey = ReturnType<typeof itemKey>;
