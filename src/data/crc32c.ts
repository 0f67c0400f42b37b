/**
 * CRC-32C (Castagnoli; reflected polynomial 0x82F63B78) and LevelDB's mask, as TFRecord files use them: each
 * record carries the masked CRC of its 8 length bytes and of its payload. A table per byte (slicing-by-1):
 * records are read whole, so this is not on a per-element path that a faster variant would change.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** LevelDB's mask: rotate right by 15 bits, then add 0xA282EAD8 (so a CRC of data holding CRCs stays strong). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
