import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { DataLossError } from "../core/errors.js";
import { type DType, type Values, zeroValues } from "../core/dtype.js";
import { type Element, type HostTensor, valuesOf } from "./host.js";

/**
 * cache(filename): the elements of a complete first pass in one file, read back by later passes and later
 * runs (as TensorFlow's file cache, which a new program reuses). Layout: "TSFLOWDATACACHE1", the byte length
 * of a JSON index (uint32 LE), the index (per element, per component: dtype, shape, and strings inline),
 * then the numeric components' bytes, each 8-byte aligned. Written to a temporary name and renamed, so a
 * partial pass never leaves a cache behind.
 */
const MAGIC = "TSFLOWDATACACHE1";

interface Entry {
  dtype: DType;
  shape: number[];
  strings?: string[];
  offset?: number;
  bytes?: number;
}

export function fileCache(filename: string): { read(): Element[] | null; write(elements: readonly Element[]): void } {
  const path = filename.endsWith(".tsflowcache") ? filename : `${filename}.tsflowcache`;
  return {
    read(): Element[] | null {
      if (!existsSync(path)) return null;
      const buf = readFileSync(path);
      if (buf.toString("latin1", 0, MAGIC.length) !== MAGIC) throw new DataLossError(`Dataset.cache: ${path} is not a tsflow dataset cache`);
      const n = buf.readUInt32LE(MAGIC.length);
      const start = MAGIC.length + 4;
      const index = JSON.parse(buf.toString("utf8", start, start + n)) as Entry[][];
      const base = start + n;
      return index.map((e) =>
        e.map((c): HostTensor => {
          if (c.strings) return { dtype: c.dtype, shape: c.shape, values: c.strings };
          const values = zeroValues(
            c.dtype,
            c.shape.reduce((a, b) => a * b, 1),
          );
          const bytes = new Uint8Array((values as Uint8Array).buffer);
          bytes.set(buf.subarray(base + c.offset!, base + c.offset! + c.bytes!));
          return { dtype: c.dtype, shape: c.shape, values };
        }),
      );
    },
    write(elements: readonly Element[]): void {
      const chunks: Uint8Array[] = [];
      let offset = 0;
      const index = elements.map((e) =>
        e.map((c): Entry => {
          const v: Values = valuesOf(c);
          if (Array.isArray(v)) return { dtype: c.dtype, shape: [...c.shape], strings: v };
          const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
          const pad = (8 - (offset % 8)) % 8;
          if (pad) chunks.push(new Uint8Array(pad));
          offset += pad;
          chunks.push(bytes);
          const entry = { dtype: c.dtype, shape: [...c.shape], offset, bytes: bytes.length };
          offset += bytes.length;
          return entry;
        }),
      );
      const json = Buffer.from(JSON.stringify(index), "utf8");
      const head = Buffer.alloc(MAGIC.length + 4);
      head.write(MAGIC, 0, "latin1");
      head.writeUInt32LE(json.length, MAGIC.length);
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, Buffer.concat([head, json, ...chunks]));
      renameSync(tmp, path);
    },
  };
}
