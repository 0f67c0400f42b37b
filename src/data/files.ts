import { readFileSync } from "node:fs";
import { gunzipSync, inflateSync } from "node:zlib";
import { DataLossError, InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { type ArgsOf, declare, K, kind, optional, parseArgs, positionalOnly, signature } from "../core/signature.js";
import { crc32c, maskCrc } from "../io/crc32c.js";
import { Dataset } from "./dataset.js";
import { type Element, toHost } from "./host.js";
import { CoIter, EMIT, type Iter } from "./iter.js";
import { DatasetNode, runEagerly, UNKNOWN } from "./node.js";
import { tensorSpec } from "./spec.js";

/** TensorFlow's compression types for record and text files. */
type Compression = "" | "GZIP" | "ZLIB";

function compressionOf(x: string | null | undefined, where: string): Compression {
  const c = (x ?? "").toUpperCase();
  if (c !== "" && c !== "GZIP" && c !== "ZLIB") throw new InvalidArgumentError(`${where}: compressionType must be "", "GZIP" or "ZLIB", got "${x}"`);
  return c;
}

/** The file names a file dataset reads: a string, an array, a string tensor, or a dataset of names. */
function fileNames(x: unknown, where: string): string[] {
  if (typeof x === "string") return [x];
  if (x instanceof Dataset) {
    const out: string[] = [];
    for (const e of x.asNumpyIterator()) out.push(String(e));
    return out;
  }
  if (Array.isArray(x) && x.every((f) => typeof f === "string")) return x;
  const h = runEagerly(() => toHost(x, where));
  if (h.dtype !== "string") throw new InvalidArgumentError(`${where}: filenames must be strings, got dtype ${h.dtype}`);
  return [...(h.values as string[])];
}

/** A whole file, decompressed; NotFoundError as TensorFlow words it. */
export function readWhole(path: string, compression: Compression, where: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`${path}; No such file or directory [${where}]`);
    throw e;
  }
  try {
    if (compression === "GZIP") return gunzipSync(bytes);
    if (compression === "ZLIB") return inflateSync(bytes);
  } catch (e) {
    throw new DataLossError(`${path}: not a ${compression} stream (${(e as Error).message}) [${where}]`);
  }
  return bytes;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/**
 * Bytes as a tsflow string: UTF-8 text when the bytes are valid UTF-8, otherwise one character per byte
 * (latin1), so binary payloads (serialized protos) keep every byte.
 */
function bytesToString(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
  }
}

/**
 * The records of a TFRecord file (tf-formats.md: uint64 length, masked CRC32C of the length bytes, payload,
 * masked CRC32C of the payload), each checked; a bad CRC or a cut record is DataLossError naming the offset.
 */
export function* tfRecords(bytes: Uint8Array, path: string): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) throw new DataLossError(`truncated record at ${off} in ${path}`);
    const len = Number(view.getBigUint64(off, true));
    if (view.getUint32(off + 8, true) !== maskCrc(crc32c(bytes, off, off + 8)))
      throw new DataLossError(`corrupted record at ${off} in ${path} (length CRC mismatch)`);
    const start = off + 12;
    if (bytes.length - start < len + 4) throw new DataLossError(`truncated record at ${off} in ${path}`);
    if (view.getUint32(start + len, true) !== maskCrc(crc32c(bytes, start, start + len)))
      throw new DataLossError(`corrupted record at ${off} in ${path} (data CRC mismatch)`);
    yield bytes.subarray(start, start + len);
    off = start + len + 4;
  }
}

/** Scalar string elements, one per record or line, from each file in turn (read when the iterator reaches it). */
class FileRecordsNode extends DatasetNode {
  readonly structure = 0;
  readonly specs = [tensorSpec([], "string")];
  readonly isAsync = false;
  constructor(
    readonly files: readonly string[],
    readonly records: (path: string) => Iterable<string>,
  ) {
    super();
  }
  cardinality(): number {
    return this.files.length === 0 ? 0 : UNKNOWN;
  }
  open(): Iter {
    const node = this;
    return new CoIter(function* (it) {
      for (const f of node.files) {
        for (const r of node.records(f)) {
          const e: Element = [{ dtype: "string", shape: [], values: [r] }];
          it.out = e;
          yield EMIT;
        }
      }
    });
  }
}

const FILENAMES = positionalOnly(optional("filenames", kind<unknown>("string | string[] | Tensor | Dataset"), "The files to read, in order."));
const COMPRESSION = optional("compressionType", kind<string | null>('"" | "GZIP" | "ZLIB"'), "How the files are compressed.");
const BUFFER = optional("bufferSize", K.int, "Accepted (files are read whole).");
const PARALLEL = optional("numParallelReads", K.int, "Accepted (files are read one after another, in order).");
const NAME = optional("name", K.string, "A name for the dataset.");

const tfRecordSig = signature("data.TFRecordDataset", "The records of TFRecord files as scalar string tensors, CRCs checked (DataLossError on corruption).", [
  FILENAMES,
  COMPRESSION,
  BUFFER,
  PARALLEL,
  NAME,
]);

/** tf.data.TFRecordDataset(filenames, compressionType, bufferSize, numParallelReads). */
export class TFRecordDataset extends Dataset {
  constructor(...args: ArgsOf<typeof tfRecordSig>) {
    const [filenames, compressionType] = parseArgs(tfRecordSig, args);
    const where = "tf.data.TFRecordDataset";
    const files = fileNames(filenames, where);
    const c = compressionOf(compressionType, where);
    super(
      new FileRecordsNode(files, function* (path) {
        for (const r of tfRecords(readWhole(path, c, where), path)) yield bytesToString(r);
      }),
    );
  }
}
declare(TFRecordDataset, tfRecordSig);

const textLineSig = signature("data.TextLineDataset", "The lines of text files (without their line endings) as scalar string tensors.", [
  FILENAMES,
  COMPRESSION,
  BUFFER,
  PARALLEL,
  NAME,
]);

/** The lines of a text, without "\n" or "\r\n"; a final line without an ending counts, an empty tail does not. */
export function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  for (let i = 0; i < out.length; i++) if (out[i].endsWith("\r")) out[i] = out[i].slice(0, -1);
  return out;
}

/** tf.data.TextLineDataset(filenames, compressionType, bufferSize, numParallelReads). */
export class TextLineDataset extends Dataset {
  constructor(...args: ArgsOf<typeof textLineSig>) {
    const [filenames, compressionType] = parseArgs(textLineSig, args);
    const where = "tf.data.TextLineDataset";
    const files = fileNames(filenames, where);
    const c = compressionOf(compressionType, where);
    super(new FileRecordsNode(files, (path) => lines(Buffer.from(readWhole(path, c, where)).toString("utf8"))));
  }
}
declare(TextLineDataset, textLineSig);
