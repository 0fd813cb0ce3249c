import { randomFillSync } from "node:crypto";

const IV_BYTES = 12;
const POOL_IVS = 512;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A fresh random 12-byte IV. IVs are cut from a pool refilled from the CSPRNG
 * in one call, because `randomBytes(12)` per value costs more than the
 * AES-GCM work on a short value. Each pool byte is handed out once.
 */
export function randomIv(): Buffer {
  if (offset + IV_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(IV_BYTES * POOL_IVS));
    offset = 0;
  }
  const iv = pool.subarray(offset, offset + IV_BYTES);
  offset += IV_BYTES;
  return iv;
}
