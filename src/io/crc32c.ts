/**
 * CRC-32C (Castagnoli) and LevelDB's mask, as TFRecord files, SSTable blocks and tensor bundles use them.
 * The CRC itself comes from @node-rs/crc32 (SSE4.2 / ARMv8 CRC instructions with a software fallback): on
 * this project's CPU it checksums ~5 GB/s against ~0.4 GB/s for a byte-table loop in JavaScript, which would
 * otherwise be the ceiling of checkpoint save and restore (see docs/ARCHITECTURE.md, "io/").
 */
import { crc32c as nativeCrc32c } from "@node-rs/crc32";

const MASK_DELTA = 0xa282ead8;

/** CRC-32C of `bytes[start, end)`; `previous` continues a CRC over bytes that came before. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return nativeCrc32c(view, previous) >>> 0;
}

/** LevelDB's mask: rotate right by 15 bits, then add 0xA282EAD8 (so a CRC of data holding CRCs stays strong). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const r = (masked - MASK_DELTA) >>> 0;
  return ((r >>> 17) | (r << 15)) >>> 0;
}
