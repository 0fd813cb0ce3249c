/**
 * Sets `key` on a new object as an own, enumerable property. A plain
 * assignment would not for `__proto__`, which DynamoDB accepts as an
 * attribute name: it would set the object's prototype and the attribute would
 * vanish from the item.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else target[key] = value;
}
