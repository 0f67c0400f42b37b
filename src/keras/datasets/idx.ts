/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun's "THE MNIST DATABASE" page): a big-endian header of two
 * zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, one uint32 per dimension, then
 * the values in row-major order. Files come plain or gzip-compressed; both read here.
 */
import { gunzipSync } from "node:zlib";
import { InvalidArgumentError } from "../../core/errors.js";

/** One IDX array of unsigned bytes. */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array;
}

const UBYTE = 0x08;

/** The bytes of a file, gunzipped when they start with gzip's magic number (0x1f 0x8b). */
export function maybeGunzip(bytes: Uint8Array): Uint8Array {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** Parses an IDX file's bytes (plain or gzip); `what` names the file in errors. Only unsigned bytes, as MNIST has. */
export function parseIdx(raw: Uint8Array, what: string): IdxArray {
  const bytes = maybeGunzip(raw);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new InvalidArgumentError(`${what}: not an IDX file (expected the magic bytes 00 00 08 <rank>, got ${hex(bytes.subarray(0, 4))})`);
  }
  if (bytes[2] !== UBYTE) {
    throw new InvalidArgumentError(`${what}: IDX type code 0x${bytes[2].toString(16)} is not supported (MNIST files hold unsigned bytes, 0x08)`);
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new InvalidArgumentError(`${what}: IDX header of rank ${rank} is truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - headerBytes !== size) {
    throw new InvalidArgumentError(`${what}: IDX shape [${shape}] needs ${size} bytes of data, the file has ${bytes.length - headerBytes}`);
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ") || "nothing";
}
