/**
 * NumPy's .npz files (a zip archive of .npy arrays), as Keras ships MNIST (mnist.npz): just enough of the zip
 * format (the central directory; stored or deflated members; zip64 sizes) and of the .npy format (version 1-3
 * headers, C order, unsigned bytes) to read them synchronously.
 */
import { inflateRawSync } from "node:zlib";
import { InvalidArgumentError } from "../../core/errors.js";
import type { IdxArray } from "./idx.js";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The members of a zip archive by name, uncompressed. */
function unzip(bytes: Uint8Array, what: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is the last 22 bytes, plus a comment of at most 65535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InvalidArgumentError(`${what}: not a zip archive (no end-of-central-directory record)`);
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const members = new Map<string, Uint8Array>();
  for (let k = 0; k < count; k++) {
    if (view.getUint32(at, true) !== CENTRAL) throw new InvalidArgumentError(`${what}: corrupt zip central directory at byte ${at}`);
    const method = view.getUint16(at + 10, true);
    let compressed = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let offset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // Zip64: a field of 0xffffffff is in the extra field of id 1, in the order size, compressed size, offset.
    for (let e = at + 46 + nameLen; e < at + 46 + nameLen + extraLen; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let p = e + 4;
        const next = (): number => {
          const v = Number(view.getBigUint64(p, true));
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (offset === 0xffffffff) offset = next();
      }
      e += 4 + len;
    }
    if (view.getUint32(offset, true) !== LOCAL) throw new InvalidArgumentError(`${what}: corrupt zip member ${name}`);
    const start = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
    const raw = bytes.subarray(start, start + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = inflateRawSync(raw);
    else throw new InvalidArgumentError(`${what}: zip member ${name} uses compression method ${method} (only stored and deflate are read)`);
    if (data.length !== size) throw new InvalidArgumentError(`${what}: zip member ${name} is ${data.length} bytes, its header says ${size}`);
    members.set(name, data);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

/** One .npy array of unsigned bytes. */
function parseNpy(bytes: Uint8Array, what: string): IdxArray {
  const magic = "\x93NUMPY";
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic.charCodeAt(i)) throw new InvalidArgumentError(`${what}: not a .npy array (bad magic string)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InvalidArgumentError(`${what}: unreadable .npy header ${JSON.stringify(header)}`);
  }
  if (!["|u1", "<u1", ">u1", "u1"].includes(descr)) throw new InvalidArgumentError(`${what}: dtype ${descr} is not supported (expected uint8, '|u1')`);
  if (fortran === "True") throw new InvalidArgumentError(`${what}: Fortran-ordered arrays are not supported`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(headerStart + headerLen);
  if (data.length !== size) throw new InvalidArgumentError(`${what}: shape (${shape}) needs ${size} bytes, the array has ${data.length}`);
  return { shape, data };
}

/** The arrays of an .npz file by name (without the .npy suffix). */
export function parseNpz(bytes: Uint8Array, what: string): Map<string, IdxArray> {
  const out = new Map<string, IdxArray>();
  for (const [name, member] of unzip(bytes, what)) out.set(name.replace(/\.npy$/, ""), parseNpy(member, `${what}:${name}`));
  return out;
}
