/**
 * The LevelDB table format TensorFlow uses for a checkpoint's .index file (an "SSTable"): sorted key/value
 * entries in prefix-compressed blocks with restart points, an index block pointing at each data block, an
 * empty metaindex block and a 48-byte footer. Every block is followed by a 5-byte trailer (compression type,
 * masked CRC-32C of the stored bytes and the type). Varints go through @bufbuild/protobuf's wire coder.
 * Whole tables are built and read in memory: TensorFlow's .index files hold one small proto per tensor.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { DataLossError, InvalidArgumentError } from "../core/errors.js";
import { crc32c, maskCrc, unmaskCrc } from "./crc32c.js";
import { snappyCompress, snappyUncompress } from "./snappy.js";

export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
}

export interface TableOptions {
  /** A data block is closed once its size reaches this many bytes (TensorFlow: 256 KiB). */
  blockSize?: number;
  /** Every n-th key of a data block is stored whole (TensorFlow: 16). */
  restartInterval?: number;
  /** "snappy" stores a block compressed when that saves at least 1/8 of it, as LevelDB does. */
  compression?: "none" | "snappy";
}

const FOOTER_SIZE = 48;
const TRAILER_SIZE = 5;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const NO_COMPRESSION = 0;
const SNAPPY = 1;
const EMPTY = new Uint8Array(0);

interface BlockHandle {
  offset: number;
  size: number;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Entries of one block: prefix-compressed keys, restart offsets, restart count. */
class BlockBuilder {
  private readonly chunks: Uint8Array[] = [];
  private readonly restarts: number[] = [0];
  private size = 0;
  private sinceRestart = 0;
  private lastKey: Uint8Array = EMPTY;
  count = 0;

  constructor(private readonly restartInterval: number) {}

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.sinceRestart < this.restartInterval) {
      const n = Math.min(key.length, this.lastKey.length);
      while (shared < n && key[shared] === this.lastKey[shared]) shared++;
    } else {
      this.restarts.push(this.size);
      this.sinceRestart = 0;
    }
    const head = new BinaryWriter()
      .uint32(shared)
      .uint32(key.length - shared)
      .uint32(value.length)
      .finish();
    this.chunks.push(head, key.subarray(shared), value);
    this.size += head.length + key.length - shared + value.length;
    this.sinceRestart++;
    this.count++;
    this.lastKey = key;
  }

  estimatedSize(): number {
    return this.size + 4 * this.restarts.length + 4;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.estimatedSize());
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    const view = new DataView(out.buffer);
    for (const r of this.restarts) {
      view.setUint32(off, r, true);
      off += 4;
    }
    view.setUint32(off, this.restarts.length, true);
    return out;
  }
}

/** The shortest key k with start <= k < limit (LevelDB's FindShortestSeparator), or start itself. */
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i < n && start[i] < 0xff && start[i] + 1 < limit[i]) {
    const k = start.slice(0, i + 1);
    k[i]++;
    return k;
  }
  return start;
}

/** The shortest key >= key (LevelDB's FindShortSuccessor). */
function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const k = key.slice(0, i + 1);
      k[i]++;
      return k;
    }
  }
  return key;
}

function encodeHandle(h: BlockHandle): Uint8Array {
  return new BinaryWriter().uint64(h.offset).uint64(h.size).finish();
}

/** Builds a table from keys added in strictly increasing bytewise order. */
export class TableBuilder {
  private readonly out: Uint8Array[] = [];
  private offset = 0;
  private readonly blockSize: number;
  private readonly restartInterval: number;
  private readonly compression: "none" | "snappy";
  private data: BlockBuilder;
  private readonly index = new BlockBuilder(1);
  private lastKey: Uint8Array | null = null;
  private pendingHandle: BlockHandle | null = null;

  constructor(options: TableOptions = {}) {
    this.blockSize = options.blockSize ?? 262144;
    this.restartInterval = options.restartInterval ?? 16;
    this.compression = options.compression ?? "none";
    this.data = new BlockBuilder(this.restartInterval);
  }

  add(key: Uint8Array, value: Uint8Array): void {
    if (this.lastKey !== null && compareBytes(key, this.lastKey) <= 0) {
      throw new InvalidArgumentError("SSTable keys must be added in strictly increasing order");
    }
    if (this.pendingHandle !== null && this.lastKey !== null) {
      this.index.add(shortestSeparator(this.lastKey, key), encodeHandle(this.pendingHandle));
      this.pendingHandle = null;
    }
    this.data.add(key, value);
    this.lastKey = key;
    if (this.data.estimatedSize() >= this.blockSize) this.flush();
  }

  private flush(): void {
    if (this.data.count === 0) return;
    this.pendingHandle = this.writeBlock(this.data.finish(), this.compression);
    this.data = new BlockBuilder(this.restartInterval);
  }

  private writeBlock(raw: Uint8Array, compression: "none" | "snappy"): BlockHandle {
    let stored = raw;
    let type = NO_COMPRESSION;
    if (compression === "snappy") {
      const c = snappyCompress(raw);
      if (c.length < raw.length - raw.length / 8) {
        stored = c;
        type = SNAPPY;
      }
    }
    const trailer = new Uint8Array(TRAILER_SIZE);
    trailer[0] = type;
    new DataView(trailer.buffer).setUint32(1, maskCrc(crc32c(trailer, 0, 1, crc32c(stored))), true);
    const handle = { offset: this.offset, size: stored.length };
    this.out.push(stored, trailer);
    this.offset += stored.length + TRAILER_SIZE;
    return handle;
  }

  /** The whole table file. */
  finish(): Uint8Array {
    this.flush();
    if (this.pendingHandle !== null && this.lastKey !== null) {
      this.index.add(shortSuccessor(this.lastKey), encodeHandle(this.pendingHandle));
      this.pendingHandle = null;
    }
    const metaindex = this.writeBlock(new BlockBuilder(this.restartInterval).finish(), "none");
    const index = this.writeBlock(this.index.finish(), "none");
    const footer = new Uint8Array(FOOTER_SIZE);
    footer.set(new BinaryWriter().raw(encodeHandle(metaindex)).raw(encodeHandle(index)).finish());
    const view = new DataView(footer.buffer);
    view.setUint32(40, MAGIC_LO, true);
    view.setUint32(44, MAGIC_HI, true);
    this.out.push(footer);
    const file = new Uint8Array(this.offset + FOOTER_SIZE);
    let off = 0;
    for (const c of this.out) {
      file.set(c, off);
      off += c.length;
    }
    return file;
  }
}

/** Reads every entry of a table, checking each block's CRC. `file` names the file in errors. */
export function readTable(bytes: Uint8Array, file: string): TableEntry[] {
  try {
    return readEntries(bytes, file);
  } catch (e) {
    // A malformed varint makes the wire reader throw its own error: still a damaged file.
    if (e instanceof DataLossError) throw e;
    throw new DataLossError(`${file}: corrupt SSTable (${(e as Error).message})`);
  }
}

function readEntries(bytes: Uint8Array, file: string): TableEntry[] {
  if (bytes.length < FOOTER_SIZE) {
    throw new DataLossError(`${file}: ${bytes.length} bytes is too short to be an SSTable (its footer alone is ${FOOTER_SIZE} bytes); truncated?`);
  }
  const footerAt = bytes.length - FOOTER_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(footerAt + 40, true) !== MAGIC_LO || view.getUint32(footerAt + 44, true) !== MAGIC_HI) {
    throw new DataLossError(`${file}: not an SSTable (bad magic number in the last 8 bytes); truncated or not a TensorFlow .index file?`);
  }
  const footer = new BinaryReader(bytes.subarray(footerAt, footerAt + 40));
  readHandle(footer, file, "footer"); // the metaindex block: TensorFlow tables have no meta blocks
  const indexHandle = readHandle(footer, file, "footer");
  const entries: TableEntry[] = [];
  for (const ix of readBlock(bytes, footerAt, indexHandle, file)) {
    const h = readHandle(new BinaryReader(ix.value), file, "index block");
    for (const e of readBlock(bytes, footerAt, h, file)) entries.push(e);
  }
  for (let i = 1; i < entries.length; i++) {
    if (compareBytes(entries[i - 1].key, entries[i].key) >= 0) throw new DataLossError(`${file}: SSTable keys out of order at entry ${i}`);
  }
  return entries;
}

function readHandle(r: BinaryReader, file: string, where: string): BlockHandle {
  const offset = Number(r.uint64());
  const size = Number(r.uint64());
  if (r.pos > r.len || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size)) throw new DataLossError(`${file}: corrupt block handle in the ${where}`);
  return { offset, size };
}

function readBlock(bytes: Uint8Array, end: number, h: BlockHandle, file: string): TableEntry[] {
  if (h.offset + h.size + TRAILER_SIZE > end) {
    throw new DataLossError(`${file}: block at offset ${h.offset} of ${h.size} bytes runs past the end of the table data (${end} bytes)`);
  }
  const stored = bytes.subarray(h.offset, h.offset + h.size);
  const type = bytes[h.offset + h.size];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const want = unmaskCrc(view.getUint32(h.offset + h.size + 1, true));
  const got = crc32c(bytes, h.offset + h.size, h.offset + h.size + 1, crc32c(stored));
  if (got !== want) throw new DataLossError(`${file}: checksum mismatch in the block at offset ${h.offset} (corrupt file)`);
  let block: Uint8Array;
  if (type === NO_COMPRESSION) block = stored;
  else if (type === SNAPPY) block = snappyUncompress(stored, `${file}: block at offset ${h.offset}`);
  else throw new DataLossError(`${file}: unknown block compression type ${type} at offset ${h.offset}`);
  return parseBlock(block, file, h.offset);
}

function parseBlock(block: Uint8Array, file: string, at: number): TableEntry[] {
  const bad = (why: string) => new DataLossError(`${file}: corrupt block at offset ${at}: ${why}`);
  if (block.length < 4) throw bad("shorter than its restart count");
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const numRestarts = view.getUint32(block.length - 4, true);
  if (numRestarts * 4 + 4 > block.length) throw bad(`${numRestarts} restart points do not fit in ${block.length} bytes`);
  const limit = block.length - 4 - 4 * numRestarts;
  const r = new BinaryReader(block.subarray(0, limit));
  const entries: TableEntry[] = [];
  let prev: Uint8Array = EMPTY;
  while (r.pos < limit) {
    const shared = r.uint32();
    const unshared = r.uint32();
    const valueLen = r.uint32();
    if (r.pos > limit || shared > prev.length || r.pos + unshared + valueLen > limit) throw bad(`entry ${entries.length} runs past the block`);
    const key = new Uint8Array(shared + unshared);
    key.set(prev.subarray(0, shared));
    key.set(block.subarray(r.pos, r.pos + unshared), shared);
    r.pos += unshared;
    entries.push({ key, value: block.subarray(r.pos, r.pos + valueLen) });
    r.pos += valueLen;
    prev = key;
  }
  return entries;
}
