/**
 * Snappy raw blocks (no framing), as LevelDB-format tables store compressed blocks: a varint of the
 * uncompressed length, then literal and copy elements. Google-built TensorFlow writes Snappy .index blocks
 * (the serving half_plus_two and Lingvo fixtures); open-source TensorFlow and tsflow write them uncompressed.
 * snappyjs (pure JavaScript, no native build) is used: index blocks are small, so its speed does not matter,
 * and it takes a bound on the uncompressed length, which keeps a hostile length from allocating.
 */
import { compress, uncompress } from "snappyjs";
import { DataLossError } from "../core/errors.js";

/**
 * The most bytes one compressed byte can stand for: a 3-byte copy element yields at most 64 bytes, and
 * literals never expand, so no valid block decodes to more than 22 times its size.
 */
const MAX_EXPANSION = 22;

export function snappyUncompress(block: Uint8Array, what: string): Uint8Array {
  try {
    return uncompress(block, block.length * MAX_EXPANSION + 64);
  } catch (e) {
    throw new DataLossError(`${what}: corrupt Snappy block (${(e as Error).message})`);
  }
}

export function snappyCompress(block: Uint8Array): Uint8Array {
  return compress(block);
}
