/**
 * TensorFlow's tensor bundle (checkpoint V2) format: `<prefix>.index` is an SSTable mapping each tensor
 * name to a BundleEntryProto (dtype, shape, shard, offset, size, masked CRC-32C), with a BundleHeaderProto
 * under the empty key; `<prefix>.data-NNNNN-of-MMMMM` hold the raw little-endian bytes, in the order the
 * tensors were added. String tensors are stored as varint64 lengths, a masked CRC of the lengths, then the
 * bytes. Tensor bytes go to and from disk straight from/into the typed arrays (no copies), and every file
 * is written under a temporary name, fsynced and renamed, the .index last, so a prefix whose .index exists
 * is complete.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allocValues, bytesPerElement, type DType, type Values } from "../core/dtype.js";
import { DataLossError, InvalidArgumentError, NotFoundError, UnimplementedError } from "../core/errors.js";
import { TensorShapeProtoSchema } from "../proto/tensorflow/core/framework/tensor_shape_pb.js";
import { DataType } from "../proto/tensorflow/core/framework/types_pb.js";
import {
  type BundleEntryProto,
  BundleEntryProtoSchema,
  BundleHeaderProto_Endianness,
  BundleHeaderProtoSchema,
} from "../proto/tensorflow/core/protobuf/tensor_bundle_pb.js";
import { AtomicFile, fsyncDir } from "./atomic_file.js";
import { crc32c, maskCrc, unmaskCrc } from "./crc32c.js";
import { dtypeFromProto, dtypeToProto } from "./dtype_proto.js";
import { compareBytes, readTable, TableBuilder } from "./sstable.js";
import { fromNarrowBits, isNarrowFloat, toNarrowBits } from "../core/half.js";

/** Values of a bundle tensor: tsflow's host arrays, with float16/bfloat16 as their raw 16-bit patterns. */
export type BundleValues = Values | Uint16Array;
/** A string tensor element: text (stored as UTF-8) or raw bytes (e.g. a serialized proto). */
export type StringElement = string | Uint8Array;

export interface BundleTensorInfo {
  dtype: DType;
  shape: number[];
}
export interface BundleTensor extends BundleTensorInfo {
  values: BundleValues;
}

/** The version this writer stamps and the newest this reader accepts (TensorFlow's kTensorBundleVersion). */
const BUNDLE_VERSION = 1;
const MAX_CHUNK = 1 << 30;

if (os.endianness() !== "LE") throw new UnimplementedError("tensor bundles are read and written only on little-endian hosts");

export function indexFilename(prefix: string): string {
  return `${prefix}.index`;
}

export function dataFilename(prefix: string, shard: number, numShards: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}.data-${pad(shard)}-of-${pad(numShards)}`;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function numElements(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new InvalidArgumentError(`${what}: bad dimension ${d} in shape [${shape.join(",")}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what}: shape [${shape.join(",")}] has too many elements`);
  return n;
}

function arrayMatches(dtype: DType, v: unknown): boolean {
  switch (dtype) {
    case "float32":
      return v instanceof Float32Array;
    case "float64":
      return v instanceof Float64Array;
    case "int32":
      return v instanceof Int32Array;
    case "int64":
      return v instanceof BigInt64Array;
    case "uint8":
    case "bool":
      return v instanceof Uint8Array;
    case "float16":
    case "bfloat16":
      return v instanceof Uint16Array;
    case "string":
      return Array.isArray(v);
  }
}

/** A bundle tensor's values as tsflow's host arrays (16-bit floats widened to a Float32Array). */
export function hostValues(t: BundleTensor): Values {
  return isNarrowFloat(t.dtype) && t.values instanceof Uint16Array ? fromNarrowBits(t.dtype, t.values) : (t.values as Values);
}

function allocTyped(dtype: DType, n: number): Exclude<BundleValues, string[]> {
  if (dtype === "string") throw new InvalidArgumentError("string tensors have no typed array");
  if (dtype === "float16" || dtype === "bfloat16") return new Uint16Array(n);
  // The backend's recycled buffers are already paged in: reading into one skips a page fault per 4 KiB.
  return allocValues(dtype, n) as Exclude<BundleValues, string[]>;
}

function readAll(fd: number, into: Uint8Array, position: number, file: string): void {
  let off = 0;
  while (off < into.length) {
    const n = fs.readSync(fd, into, off, Math.min(MAX_CHUNK, into.length - off), position + off);
    if (n === 0) throw new DataLossError(`${file}: unexpected end of file at byte ${position + off}`);
    off += n;
  }
}

/** verify()'s chunk buffer: 4 MiB, allocated once, so checking a large tensor touches no fresh memory. */
let scratchBuffer: Uint8Array | null = null;
function verifyScratch(): Uint8Array {
  scratchBuffer ??= new Uint8Array(4 << 20);
  return scratchBuffer;
}

/** The string tensor layout: varint64 lengths, masked CRC of the lengths, the bytes; and the entry's CRC. */
function encodeStrings(elements: readonly StringElement[]): { chunks: Uint8Array[]; crc: number; size: number } {
  const bytes = elements.map((s) => (typeof s === "string" ? utf8.encode(s) : s));
  const lengths = new BinaryWriter();
  // TensorFlow checksums each length as a uint32 (uint64 past 4 GiB), not as the varint it stores.
  const raw = new DataView(new ArrayBuffer(8));
  let crc = 0;
  for (const b of bytes) {
    lengths.uint64(b.length);
    if (b.length <= 0xffffffff) {
      raw.setUint32(0, b.length, true);
      crc = crc32c(new Uint8Array(raw.buffer, 0, 4), 0, 4, crc);
    } else {
      raw.setBigUint64(0, BigInt(b.length), true);
      crc = crc32c(new Uint8Array(raw.buffer, 0, 8), 0, 8, crc);
    }
  }
  const check = new Uint8Array(4);
  new DataView(check.buffer).setUint32(0, maskCrc(crc), true);
  crc = crc32c(check, 0, 4, crc);
  for (const b of bytes) crc = crc32c(b, 0, b.length, crc);
  const chunks = [lengths.finish(), check, ...bytes];
  return { chunks, crc, size: chunks.reduce((s, c) => s + c.length, 0) };
}

interface ShardFile {
  file: AtomicFile;
  finalName: string;
}

/**
 * Writes a bundle. Tensor bytes are streamed to the data files as they are added; finish() writes the
 * .index (sorted by key) and makes everything durable. Options: numShards (data files; each tensor goes to
 * the shard with the fewest bytes so far).
 *
 * The CRC-32C of a numeric tensor is computed in finish(), while the data files' fsyncs run on the sync
 * thread (io/background_sync.ts): the checksum then costs no time of its own. So the values given to
 * add() must not change until finish() returns (every caller passes arrays that nothing writes to).
 */
export class BundleWriter {
  readonly prefix: string;
  private readonly shards: ShardFile[];
  private readonly entries = new Map<string, BundleEntryProto>();
  /** Entries whose crc32c finish() fills in, with the bytes that were written. */
  private readonly unchecksummed: { entry: BundleEntryProto; bytes: Uint8Array }[] = [];
  /** The .index under its temporary name, while finish() runs. */
  private index: AtomicFile | null = null;
  private done = false;

  constructor(prefix: string, options: { numShards?: number } = {}) {
    const numShards = options.numShards ?? 1;
    if (!Number.isInteger(numShards) || numShards < 1) throw new InvalidArgumentError(`BundleWriter: numShards must be a positive integer, got ${numShards}`);
    this.prefix = prefix;
    fs.mkdirSync(path.dirname(path.resolve(prefix)), { recursive: true });
    this.shards = [];
    for (let i = 0; i < numShards; i++) {
      const finalName = dataFilename(prefix, i, numShards);
      this.shards.push({ file: new AtomicFile(finalName), finalName });
    }
  }

  /** Adds one tensor; `values` is row-major with one element per entry of `shape`. */
  add(key: string, dtype: DType, shape: readonly number[], values: BundleValues | readonly StringElement[]): void {
    if (this.done) throw new InvalidArgumentError(`BundleWriter(${this.prefix}): add("${key}") after finish()`);
    if (key === "") throw new InvalidArgumentError("BundleWriter: the empty key is reserved for the bundle header");
    if (this.entries.has(key)) throw new InvalidArgumentError(`BundleWriter(${this.prefix}): tensor "${key}" was already added`);
    const n = numElements(shape, `BundleWriter: tensor "${key}"`);
    // A 16-bit float tensor's host values (a Float32Array) are stored as their 2-byte patterns.
    if (isNarrowFloat(dtype) && values instanceof Float32Array) values = toNarrowBits(dtype, values);
    if (!arrayMatches(dtype, values)) {
      throw new InvalidArgumentError(`BundleWriter: tensor "${key}" has dtype ${dtype} but its values are a ${values.constructor.name}`);
    }
    if (values.length !== n) {
      throw new InvalidArgumentError(`BundleWriter: tensor "${key}" of shape [${shape.join(",")}] needs ${n} values, got ${values.length}`);
    }
    const shardId = this.pickShard();
    const shard = this.shards[shardId].file;
    const entry = create(BundleEntryProtoSchema, {
      dtype: dtypeToProto(dtype),
      shape: create(TensorShapeProtoSchema, { dim: shape.map((d) => ({ size: BigInt(d) })) }),
      shardId,
      offset: BigInt(shard.size),
    });
    if (dtype === "string") {
      const enc = encodeStrings(values as readonly StringElement[]);
      for (const c of enc.chunks) shard.write(c);
      entry.crc32c = maskCrc(enc.crc);
      entry.size = BigInt(enc.size);
    } else {
      const typed = values as Exclude<BundleValues, string[]>;
      const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
      if (bytes.length !== n * bytesPerElement(dtype)) throw new InvalidArgumentError(`BundleWriter: tensor "${key}": wrong byte size`);
      shard.write(bytes);
      entry.size = BigInt(bytes.length);
      this.unchecksummed.push({ entry, bytes });
    }
    this.entries.set(key, entry);
  }

  private pickShard(): number {
    let best = 0;
    for (let i = 1; i < this.shards.length; i++) if (this.shards[i].file.size < this.shards[best].file.size) best = i;
    return best;
  }

  /**
   * Writes the .index and makes the bundle durable: every file fsynced under its temporary name, then the
   * data files renamed into place and the .index (the commit point) last.
   */
  finish(): void {
    if (this.done) return;
    this.done = true;
    try {
      for (const s of this.shards) s.file.syncInBackground();
      for (const { entry, bytes } of this.unchecksummed) entry.crc32c = maskCrc(crc32c(bytes));
      this.unchecksummed.length = 0;
      const header = create(BundleHeaderProtoSchema, {
        numShards: this.shards.length,
        endianness: BundleHeaderProto_Endianness.LITTLE,
        version: { producer: BUNDLE_VERSION },
      });
      const keyed = [...this.entries].map(([k, e]) => ({ key: utf8.encode(k), e }));
      keyed.sort((a, b) => compareBytes(a.key, b.key));
      const table = new TableBuilder();
      table.add(new Uint8Array(0), toBinary(BundleHeaderProtoSchema, header));
      for (const { key, e } of keyed) table.add(key, toBinary(BundleEntryProtoSchema, e));
      this.index = new AtomicFile(indexFilename(this.prefix));
      this.index.write(table.finish());
      this.index.syncInBackground();
      // An old .index of the same prefix would describe the old data files: drop it before they change.
      fs.rmSync(indexFilename(this.prefix), { force: true });
      for (const s of this.shards) s.file.commit({ syncDir: false });
      this.index.commit({ syncDir: false });
      this.index = null;
      fsyncDir(path.dirname(path.resolve(this.prefix)));
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Removes the temporary files of an unfinished bundle. */
  abort(): void {
    this.done = true;
    for (const s of this.shards) s.file.abort();
    this.index?.abort();
    this.index = null;
  }
}

/** Reads a bundle; each read checks sizes against the file before allocating, and the tensor's CRC. */
export class BundleReader {
  readonly prefix: string;
  readonly numShards: number;
  private readonly entries: Map<string, BundleEntryProto>;
  private readonly sliceKeys: number;

  private constructor(prefix: string, numShards: number, entries: Map<string, BundleEntryProto>, sliceKeys: number) {
    this.prefix = prefix;
    this.numShards = numShards;
    this.entries = entries;
    this.sliceKeys = sliceKeys;
  }

  static open(prefix: string): BundleReader {
    const indexFile = indexFilename(prefix);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(indexFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        throw new NotFoundError(`Unsuccessful checkpoint read: no checkpoint at prefix "${prefix}" (${indexFile} does not exist)`);
      }
      throw e;
    }
    const table = readTable(bytes, indexFile);
    if (table.length === 0 || table[0].key.length !== 0) throw new DataLossError(`${indexFile}: the bundle header (empty key) is missing`);
    const header = parseProto(() => fromBinary(BundleHeaderProtoSchema, table[0].value), indexFile, "the bundle header");
    if (header.endianness !== BundleHeaderProto_Endianness.LITTLE) throw new UnimplementedError(`${indexFile}: big-endian bundles are not supported`);
    const v = header.version;
    if (v !== undefined && (v.minConsumer > BUNDLE_VERSION || v.badConsumers.includes(BUNDLE_VERSION))) {
      throw new UnimplementedError(`${indexFile}: bundle version ${v.producer} needs a reader of version >= ${v.minConsumer}; this one is ${BUNDLE_VERSION}`);
    }
    if (header.numShards < 1) throw new DataLossError(`${indexFile}: bundle header says ${header.numShards} data shards`);
    const entries = new Map<string, BundleEntryProto>();
    let sliceKeys = 0;
    for (let i = 1; i < table.length; i++) {
      const { key, value } = table[i];
      // Slices of partitioned tensors sit under binary keys that start with a zero byte (an ordered-code 0).
      if (key[0] === 0) {
        sliceKeys++;
        continue;
      }
      const name = fromUtf8.decode(key);
      entries.set(
        name,
        parseProto(() => fromBinary(BundleEntryProtoSchema, value), indexFile, `the entry of tensor "${name}"`),
      );
    }
    return new BundleReader(prefix, header.numShards, entries, sliceKeys);
  }

  /** Tensor names, sorted (TensorFlow's order). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The BundleEntryProto of `key` as stored (dtype number, shard, offset, size, crc, slices). */
  protoEntry(key: string): BundleEntryProto {
    const e = this.entries.get(key);
    if (e === undefined) throw new NotFoundError(`Key ${key} not found in checkpoint ${this.prefix}`);
    return e;
  }

  entry(key: string): BundleTensorInfo {
    const e = this.protoEntry(key);
    const what = `${indexFilename(this.prefix)}: tensor "${key}"`;
    return { dtype: dtypeFromProto(e.dtype, what), shape: entryShape(e, what) };
  }

  read(key: string): BundleTensor {
    const { dtype, shape } = this.entry(key);
    if (dtype === "string") return { dtype, shape, values: this.readStringBytes(key).map((b) => fromUtf8.decode(b)) };
    const e = this.protoEntry(key);
    const n = storedElements(shape, `${indexFilename(this.prefix)}: tensor "${key}"`);
    const { file, fd, offset, size } = this.openData(key, e);
    try {
      this.checkSize(key, dtype, shape, size, file);
      const values = allocTyped(dtype, n);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      readAll(fd, bytes, offset, file);
      checkCrc(crc32c(bytes), e, file, key);
      return { dtype, shape, values };
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Checks a numeric tensor's stored bytes against its CRC without keeping them: the file is read in chunks
   * through one small reused buffer (memory already touched), so a restore can prove every tensor intact
   * before it overwrites any variable in place (readInto).
   */
  verify(key: string): void {
    const { dtype, shape } = this.entry(key);
    if (dtype === "string") {
      this.readStringBytes(key);
      return;
    }
    const e = this.protoEntry(key);
    const { file, fd, offset, size } = this.openData(key, e);
    try {
      this.checkSize(key, dtype, shape, size, file);
      const scratch = verifyScratch();
      let crc = 0;
      for (let at = 0; at < size; at += scratch.length) {
        const part = scratch.subarray(0, Math.min(scratch.length, size - at));
        readAll(fd, part, offset + at, file);
        crc = crc32c(part, 0, part.length, crc);
      }
      checkCrc(crc, e, file, key);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Reads a numeric tensor's bytes straight into `into` (the memory of an existing buffer of the same dtype
   * and element count), without the CRC check: callers verify() first, so the bytes are checked once before
   * anything is overwritten rather than after.
   */
  readInto(key: string, into: Uint8Array): void {
    const { dtype, shape } = this.entry(key);
    if (dtype === "string") throw new InvalidArgumentError(`${this.prefix}: readInto("${key}"): string tensors have no fixed-size buffer`);
    const { file, fd, offset, size } = this.openData(key, this.protoEntry(key));
    try {
      this.checkSize(key, dtype, shape, size, file);
      if (into.length !== size) throw new InvalidArgumentError(`${file}: tensor "${key}" takes ${size} bytes, the buffer to read it into ${into.length}`);
      readAll(fd, into, offset, file);
    } finally {
      fs.closeSync(fd);
    }
  }

  private checkSize(key: string, dtype: DType, shape: readonly number[], size: number, file: string): void {
    const n = storedElements(shape, `${indexFilename(this.prefix)}: tensor "${key}"`);
    if (size !== n * bytesPerElement(dtype)) {
      throw new DataLossError(
        `${file}: tensor "${key}" of dtype ${dtype} and shape [${shape.join(",")}] should take ${n * bytesPerElement(dtype)} bytes, but its entry says ${size}`,
      );
    }
  }

  /** The elements of a DT_STRING tensor as raw bytes (read() decodes them as UTF-8). */
  readStringBytes(key: string): Uint8Array[] {
    const e = this.protoEntry(key);
    const what = `tensor "${key}"`;
    if (e.dtype !== DataType.DT_STRING) throw new InvalidArgumentError(`${this.prefix}: ${what} is not a string tensor`);
    const n = storedElements(entryShape(e, what), `${indexFilename(this.prefix)}: ${what}`);
    const { file, fd, offset, size } = this.openData(key, e);
    let buf: Uint8Array;
    try {
      // Every element takes at least one length byte, so n is bounded by the (already checked) size.
      if (n + 4 > size && n > 0) throw new DataLossError(`${file}: ${what} has ${n} strings but only ${size} bytes`);
      buf = new Uint8Array(size);
      readAll(fd, buf, offset, file);
    } finally {
      fs.closeSync(fd);
    }
    if (n === 0) {
      checkCrc(crc32c(buf), e, file, key);
      return [];
    }
    const corrupt = (why: string) => new DataLossError(`${file}: string tensor "${key}" is corrupt: ${why}`);
    try {
      return decodeStrings(buf, n, size, corrupt, (crc) => checkCrc(crc, e, file, key));
    } catch (err) {
      if (err instanceof DataLossError) throw err;
      throw corrupt((err as Error).message);
    }
  }
  private openData(key: string, e: BundleEntryProto): { file: string; fd: number; offset: number; size: number } {
    if (e.slices.length > 0) {
      throw new UnimplementedError(
        `${this.prefix}: tensor "${key}" is a partitioned variable saved in ${e.slices.length} slices; restoring partitioned variables is not supported`,
      );
    }
    if (e.shardId < 0 || e.shardId >= this.numShards)
      throw new DataLossError(`${indexFilename(this.prefix)}: tensor "${key}" names shard ${e.shardId} of ${this.numShards}`);
    const file = dataFilename(this.prefix, e.shardId, this.numShards);
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${file} (data of tensor "${key}") does not exist`);
      throw err;
    }
    const offset = Number(e.offset);
    const size = Number(e.size);
    const fileSize = fs.fstatSync(fd).size;
    if (!(offset >= 0 && size >= 0 && offset + size <= fileSize)) {
      fs.closeSync(fd);
      throw new DataLossError(
        `${file}: tensor "${key}" claims ${e.size} bytes at offset ${e.offset}, but the file has only ${fileSize} bytes (truncated or corrupt)`,
      );
    }
    return { file, fd, offset, size };
  }

  /** How many slice entries (of partitioned tensors) the index holds. */
  get numSliceEntries(): number {
    return this.sliceKeys;
  }
}

/** Parses the string tensor layout (lengths, length checksum, bytes), checking sizes and both CRCs. */
function decodeStrings(buf: Uint8Array, n: number, size: number, corrupt: (why: string) => Error, checkEntryCrc: (crc: number) => void): Uint8Array[] {
  const r = new BinaryReader(buf);
  const lens = new Array<number>(n);
  const lenBytes = new Uint8Array(8 * n);
  const lenView = new DataView(lenBytes.buffer);
  let lenAt = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const l = Number(r.uint64());
    if (r.pos > size || !Number.isSafeInteger(l) || l > size) throw corrupt(`length ${i} is out of range`);
    lens[i] = l;
    total += l;
    if (l <= 0xffffffff) {
      lenView.setUint32(lenAt, l, true);
      lenAt += 4;
    } else {
      lenView.setBigUint64(lenAt, BigInt(l), true);
      lenAt += 8;
    }
  }
  if (r.pos + 4 + total !== size) throw corrupt(`lengths add up to ${r.pos + 4 + total} bytes, the entry says ${size}`);
  const lengthCrc = crc32c(lenBytes, 0, lenAt);
  const stored = new DataView(buf.buffer, buf.byteOffset).getUint32(r.pos, true);
  if (unmaskCrc(stored) !== lengthCrc) throw corrupt("checksum of the lengths does not match");
  let crc = crc32c(buf, r.pos, r.pos + 4, lengthCrc);
  crc = crc32c(buf, r.pos + 4, size, crc);
  checkEntryCrc(crc);
  const out = new Array<Uint8Array>(n);
  let at = r.pos + 4;
  for (let i = 0; i < n; i++) {
    out[i] = buf.subarray(at, at + lens[i]);
    at += lens[i];
  }
  return out;
}

/** The element count of a shape read from a file: a count past 2^53 is damage, not a caller's mistake. */
function storedElements(shape: readonly number[], what: string): number {
  try {
    return numElements(shape, what);
  } catch (e) {
    throw new DataLossError((e as Error).message);
  }
}

function checkCrc(crc: number, e: BundleEntryProto, file: string, key: string): void {
  if (crc !== unmaskCrc(e.crc32c)) {
    throw new DataLossError(
      `${file}: checksum mismatch for tensor "${key}" (stored ${unmaskCrc(e.crc32c).toString(16)}, computed ${crc.toString(16)}): the data is corrupt`,
    );
  }
}

function entryShape(e: BundleEntryProto, what: string): number[] {
  const s = e.shape;
  if (s === undefined) return [];
  if (s.unknownRank) throw new DataLossError(`${what} has a shape of unknown rank`);
  return s.dim.map((d) => {
    const n = Number(d.size);
    if (!Number.isSafeInteger(n) || n < 0) throw new DataLossError(`${what} has a bad dimension ${d.size}`);
    return n;
  });
}

function parseProto<T>(parse: () => T, file: string, what: string): T {
  try {
    return parse();
  } catch (e) {
    throw new DataLossError(`${file}: cannot parse ${what}: ${(e as Error).message}`);
  }
}
