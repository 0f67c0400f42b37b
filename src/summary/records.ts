/**
 * TFRecord framing for event files (docs/ARCHITECTURE.md "summary/"; tf-formats.md §1.1): each record is a
 * little-endian uint64 length, the masked CRC32C of those 8 bytes, the payload, and the masked CRC32C of the
 * payload. Unlike tf.data's reader (which reads finished files), this one is resumable: a record cut short at
 * the end of the bytes is "truncated" (the writer is still writing it) and reading resumes from its offset.
 */
import { crc32c, maskCrc } from "../io/crc32c.js";

const HEADER = 12;
const FOOTER = 4;

/** One framed record: header, payload and footer in a new array. */
export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length + FOOTER);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(payload.length), true);
  view.setUint32(8, maskCrc(crc32c(out, 0, 8)), true);
  out.set(payload, HEADER);
  view.setUint32(HEADER + payload.length, maskCrc(crc32c(payload)), true);
  return out;
}

/** The outcome of reading records from an offset. */
export interface RecordScan {
  /** Each complete, CRC-checked record's payload, with the offset its header starts at. */
  readonly records: { readonly offset: number; readonly payload: Uint8Array }[];
  /** Where reading stopped: the end of the last good record (resume here once the file grows). */
  readonly end: number;
  /** Why it stopped before the end of the bytes: a record still being written, or a corrupt one. */
  readonly stop: "end" | "truncated" | { readonly corrupt: string };
}

/** Every record of `bytes` from `start` on; never throws on damaged data, it reports it in `stop`. */
export function scanRecords(bytes: Uint8Array, start = 0): RecordScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: { offset: number; payload: Uint8Array }[] = [];
  let off = start;
  while (off < bytes.length) {
    if (bytes.length - off < HEADER) return { records, end: off, stop: "truncated" };
    if (view.getUint32(off + 8, true) !== maskCrc(crc32c(bytes, off, off + 8))) {
      return { records, end: off, stop: { corrupt: `record at offset ${off}: the length's CRC does not match` } };
    }
    const len = view.getBigUint64(off, true);
    const avail = BigInt(bytes.length - off - HEADER - FOOTER);
    if (len > avail) return { records, end: off, stop: "truncated" };
    const from = off + HEADER;
    const to = from + Number(len);
    if (view.getUint32(to, true) !== maskCrc(crc32c(bytes, from, to))) {
      return { records, end: off, stop: { corrupt: `record at offset ${off}: the data's CRC does not match (${len} bytes)` } };
    }
    records.push({ offset: off, payload: bytes.subarray(from, to) });
    off = to + FOOTER;
  }
  return { records, end: off, stop: "end" };
}
