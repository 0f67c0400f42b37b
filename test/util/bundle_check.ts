/**
 * An independent reader of TensorFlow tensor bundles for the tests of what tsflow writes: its own CRC-32C
 * (a bit-by-bit loop), its own SSTable walk (uncompressed blocks only, as TensorFlow writes them), entry
 * protos decoded with @bufbuild/protobuf. It shares no code with src/io, so a bug there cannot hide itself.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import {
  type BundleEntryProto,
  BundleEntryProtoSchema,
  type BundleHeaderProto,
  BundleHeaderProtoSchema,
} from "../../src/proto/tensorflow/core/protobuf/tensor_bundle_pb.js";

export function slowCrc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

export function slowMask(crc: number): number {
  const rot = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rot + 0xa282ead8) >>> 0;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

interface Raw {
  key: string;
  value: Uint8Array;
}

function checkedBlock(file: Uint8Array, offset: number, size: number): Uint8Array {
  const block = file.subarray(offset, offset + size);
  assert.equal(file[offset + size], 0, "tsflow writes uncompressed blocks");
  const crc = slowCrc32c(file.subarray(offset + size, offset + size + 1), slowCrc32c(block));
  assert.equal(u32(file, offset + size + 1), slowMask(crc), `block trailer CRC at ${offset}`);
  return block;
}

function blockEntries(block: Uint8Array, restartInterval: number): Raw[] {
  const n = u32(block, block.length - 4);
  const restarts = Array.from({ length: n }, (_, i) => u32(block, block.length - 4 - 4 * n + 4 * i));
  const end = block.length - 4 - 4 * n;
  const r = new BinaryReader(block.subarray(0, end));
  const out: Raw[] = [];
  let prev = Buffer.alloc(0);
  const starts: number[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const shared = r.uint32();
    const unshared = r.uint32();
    const vlen = r.uint32();
    if (out.length % restartInterval === 0) {
      assert.equal(shared, 0, "a restart entry stores its whole key");
      starts.push(at);
    }
    const key = Buffer.concat([prev.subarray(0, shared), block.subarray(r.pos, r.pos + unshared)]);
    r.pos += unshared;
    out.push({ key: key.toString("latin1"), value: block.subarray(r.pos, r.pos + vlen) });
    r.pos += vlen;
    prev = key;
  }
  assert.deepEqual(restarts, starts, "restart points every 16 entries");
  return out;
}

export interface CheckedBundle {
  header: BundleHeaderProto;
  entries: Map<string, BundleEntryProto>;
  indexKeys: string[];
}

/** Decodes and checks `<prefix>.index` and every tensor's bytes and CRC in the data files. */
export function checkBundle(prefix: string): CheckedBundle {
  const file = new Uint8Array(fs.readFileSync(`${prefix}.index`));
  const f = file.length - 48;
  assert.deepEqual([...file.subarray(file.length - 8)], [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], "footer magic");
  const fr = new BinaryReader(file.subarray(f, f + 40));
  const meta = [Number(fr.uint64()), Number(fr.uint64())];
  const index = [Number(fr.uint64()), Number(fr.uint64())];
  assert.deepEqual([...file.subarray(f + fr.pos, f + 40)], new Array(40 - fr.pos).fill(0), "footer padding");
  assert.deepEqual([...checkedBlock(file, meta[0], meta[1])], [0, 0, 0, 0, 1, 0, 0, 0], "empty metaindex block");
  const all: Raw[] = [];
  let lastKey = "";
  for (const ix of blockEntries(checkedBlock(file, index[0], index[1]), 1)) {
    const hr = new BinaryReader(ix.value);
    const off = Number(hr.uint64());
    const size = Number(hr.uint64());
    const entries = blockEntries(checkedBlock(file, off, size), 16);
    const last = entries[entries.length - 1].key;
    assert.ok(ix.key >= last, `index key ${ix.key} >= last key of its block ${last}`);
    for (const e of entries) {
      assert.ok(all.length === 0 || e.key > lastKey, "keys sorted");
      lastKey = e.key;
      all.push(e);
    }
  }
  assert.equal(all[0].key, "", "header first");
  const header = fromBinary(BundleHeaderProtoSchema, all[0].value);
  const entries = new Map<string, BundleEntryProto>();
  const pad = (n: number) => String(n).padStart(5, "0");
  for (const { key, value } of all.slice(1)) {
    const e = fromBinary(BundleEntryProtoSchema, value);
    const data = fs.readFileSync(`${prefix}.data-${pad(e.shardId)}-of-${pad(header.numShards)}`);
    const bytes = data.subarray(Number(e.offset), Number(e.offset) + Number(e.size));
    assert.equal(bytes.length, Number(e.size), `${key}: data present`);
    if (e.dtype === 7) {
      // DT_STRING: the CRC covers each length as a uint32, the stored length checksum, then the bytes.
      const count = (e.shape?.dim ?? []).reduce((n, d) => n * Number(d.size), 1);
      const r = new BinaryReader(bytes);
      const lens = Buffer.alloc(4 * count);
      for (let i = 0; i < count; i++) lens.writeUInt32LE(Number(r.uint64()), 4 * i);
      const crc = slowCrc32c(bytes.subarray(r.pos), slowCrc32c(lens));
      assert.equal(e.crc32c, slowMask(crc), `${key}: string data CRC`);
    } else assert.equal(e.crc32c, slowMask(slowCrc32c(bytes)), `${key}: data CRC`);
    entries.set(Buffer.from(key, "latin1").toString("utf8"), e);
  }
  return { header, entries, indexKeys: all.map((e) => e.key) };
}

/** The strings of a DT_STRING entry decoded by hand: varint64 lengths, masked length CRC, bytes. */
export function decodeStrings(prefix: string, numShards: number, e: BundleEntryProto, count: number): Buffer[] {
  const pad = (n: number) => String(n).padStart(5, "0");
  const data = fs.readFileSync(`${prefix}.data-${pad(e.shardId)}-of-${pad(numShards)}`);
  const bytes = data.subarray(Number(e.offset), Number(e.offset) + Number(e.size));
  const r = new BinaryReader(bytes);
  const lens: number[] = [];
  for (let i = 0; i < count; i++) lens.push(Number(r.uint64()));
  const lenBytes = Buffer.alloc(4 * count);
  lens.forEach((l, i) => lenBytes.writeUInt32LE(l, 4 * i));
  assert.equal(bytes.readUInt32LE(r.pos), slowMask(slowCrc32c(lenBytes)), "length checksum");
  let at = r.pos + 4;
  return lens.map((l) => {
    const s = bytes.subarray(at, at + l);
    at += l;
    return s;
  });
}
