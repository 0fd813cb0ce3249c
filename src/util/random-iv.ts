import { randomFillSync } from "node:crypto";
import { startupSnapshot } from "node:v8";

const IV_BYTES = 12;
const POOL_IVS = 512;
let pool = Buffer.alloc(0);
let offset = 0;

/** Forgets every pooled IV; the next call draws a new pool from the CSPRNG. */
function dropPool(): void {
  pool.fill(0);
  pool = Buffer.alloc(0);
  offset = 0;
}

// A V8 startup snapshot would freeze the pool into every process started from it, which would then hand out the same IVs: drop it when the snapshot is written, and again when a process starts from one.
if (startupSnapshot?.isBuildingSnapshot()) {
  startupSnapshot.addSerializeCallback(dropPool);
  startupSnapshot.addDeserializeCallback(dropPool);
}

/**
 * A fresh random 12-byte IV. IVs are cut from a pool refilled from the CSPRNG
 * in one call, because `randomBytes(12)` per value costs more than the
 * AES-GCM work on a short value. Each pool byte is handed out once. The pool
 * is filled on first use and dropped across a V8 startup snapshot, so
 * processes started from one snapshot never share IVs.
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
