import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type DType, isDType, type Values, zeroValues } from "../core/dtype.js";
import { InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { defineFunction, K, kind, optional, signature, withDefault } from "../core/signature.js";
import { Dataset } from "./dataset.js";
import { readWhole } from "./files.js";
import type { HostTensor } from "./host.js";
import type { Structure } from "./nest.js";
import { SlicesNode } from "./sources.js";

const WHERE = "tf.data.experimental.makeCsvDataset";

/** The files a pattern names: `*` and `?` in the last path component (TensorFlow's Glob), sorted. */
function glob(pattern: string | readonly string[]): string[] {
  const patterns = typeof pattern === "string" ? [pattern] : pattern;
  const out: string[] = [];
  for (const p of patterns) {
    if (!/[*?[]/.test(p)) {
      out.push(p);
      continue;
    }
    const dir = dirname(p);
    const re = new RegExp(
      `^${basename(p)
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    out.push(
      ...names
        .filter((n) => re.test(n))
        .sort()
        .map((n) => join(dir, n)),
    );
  }
  if (out.length === 0) throw new NotFoundError(`${WHERE}: no files match ${JSON.stringify(pattern)}`);
  return out;
}

/** One CSV record per line: fields split at `delim`, double quotes honoured (a "" inside quotes is one "). */
function parseLine(line: string, delim: string, quotes: boolean): string[] {
  if (!quotes || !line.includes('"')) return line.split(delim);
  const fields: string[] = [];
  let cur = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += ch;
    } else if (ch === '"') inQuotes = true;
    else if (line.startsWith(delim, i)) {
      fields.push(cur);
      cur = "";
      i += delim.length - 1;
    } else cur += ch;
  }
  fields.push(cur);
  return fields;
}

interface Row {
  fields: string[];
  file: string;
  line: number;
}

const INT = /^[+-]?\d+$/;
/** TensorFlow's inference order over the first rows: int32, int64, float32, else string (empty fields skipped). */
function inferType(values: readonly string[]): DType {
  let t: DType = "int32";
  for (const v of values) {
    if (v === "") continue;
    if (t === "int32" || t === "int64") {
      if (INT.test(v)) {
        const n = Number(v);
        if (t === "int32" && (n > 2147483647 || n < -2147483648)) t = "int64";
        continue;
      }
      t = "float32";
    }
    if (t === "float32" && v.trim() !== "" && Number.isFinite(Number(v))) continue;
    return "string";
  }
  return t;
}

type Default = number | string | bigint | null;

const csvSig = signature(
  "data.experimental.make_csv_dataset",
  "Batches of (features, label) read from CSV files: features an object of column tensors (named by the header or columnNames), types from columnDefaults or inferred; shuffled and repeated as asked.",
  [
    optional("filePattern", kind<string | string[]>("string | string[]"), "A file, a glob pattern (* and ? in the file name), or a list of them."),
    optional("batchSize", K.int, "Rows per batch."),
    optional("columnNames", kind<string[]>("string[]"), "The column names (default: the header line)."),
    optional(
      "columnDefaults",
      kind<unknown[]>("(DType | number | string)[]"),
      "Per column: a dtype (the field is required) or a default value for empty fields (its type sets the column's).",
    ),
    optional("labelName", K.string, "The column returned apart, as the label."),
    optional("selectColumns", kind<(string | number)[]>("(string | number)[]"), "The columns to keep (names or indices)."),
    withDefault("fieldDelim", K.string, ",", "The field delimiter."),
    withDefault("useQuoteDelim", K.boolean, true, "Whether double quotes group fields."),
    withDefault("naValue", K.string, "", "A field value that means missing."),
    withDefault("header", K.boolean, true, "Whether the first line of each file is a header."),
    optional("numEpochs", kind<number | null>("number | null"), "Passes over the data (null: forever, as TensorFlow)."),
    withDefault("shuffle", K.boolean, true, "Shuffle the rows."),
    withDefault("shuffleBufferSize", K.int, 10000, "The shuffle buffer."),
    optional("shuffleSeed", K.int, "The shuffle seed."),
    optional("prefetchBufferSize", K.int, "Batches to prefetch (default AUTOTUNE)."),
    optional("numParallelReads", K.int, "Accepted (files are read one after another)."),
    withDefault("sloppy", K.boolean, false, "Accepted."),
    withDefault("numRowsForInference", K.int, 100, "Rows read to infer column types."),
    optional("compressionType", kind<string | null>('"" | "GZIP" | "ZLIB"'), "How the files are compressed."),
    withDefault("ignoreErrors", K.boolean, false, "Skip rows that do not parse instead of failing."),
    withDefault("encoding", K.string, "utf-8", "The files' encoding."),
  ],
);

/**
 * tf.data.experimental.makeCsvDataset. The files are read when it is called (the parsed columns are in-memory
 * rows, so shuffling and batching take the bulk path); a row with the wrong number of fields, or a value
 * that does not parse as its column's type, is an InvalidArgumentError naming the file and line.
 */
export const makeCsvDataset = defineFunction(csvSig, (...a) => {
  const [
    filePattern,
    batchSize,
    columnNamesArg,
    columnDefaults,
    labelName,
    selectColumns,
    fieldDelim,
    useQuoteDelim,
    naValue,
    header,
    numEpochs,
    shuffle,
    shuffleBufferSize,
    shuffleSeed,
    prefetchBufferSize,
  ] = a;
  const compressionType = a[18];
  const ignoreErrors = a[19];
  const encoding = a[20];
  if (filePattern === undefined) throw new InvalidArgumentError(`${WHERE}: missing required argument "filePattern"`);
  if (batchSize === undefined) throw new InvalidArgumentError(`${WHERE}: missing required argument "batchSize"`);
  const comp = (compressionType ?? "").toUpperCase();
  if (comp !== "" && comp !== "GZIP" && comp !== "ZLIB") throw new InvalidArgumentError(`${WHERE}: compressionType must be "", "GZIP" or "ZLIB"`);
  const files = glob(filePattern);
  let names = columnNamesArg ? [...columnNamesArg] : null;
  const rows: Row[] = [];
  for (const file of files) {
    const text = new TextDecoder(encoding).decode(readWhole(file, comp as "" | "GZIP" | "ZLIB", WHERE));
    const lines = text.split("\n");
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    lines.forEach((raw, i) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (header && i === 0) {
        names ??= parseLine(line, fieldDelim, useQuoteDelim);
        return;
      }
      if (line === "") return;
      rows.push({ fields: parseLine(line, fieldDelim, useQuoteDelim), file, line: i + 1 });
    });
  }
  if (names === null) throw new InvalidArgumentError(`${WHERE}: give columnNames when the files have no header`);
  const n = names.length;
  if (columnDefaults && columnDefaults.length !== n) {
    throw new InvalidArgumentError(`${WHERE}: columnDefaults has ${columnDefaults.length} entries but there are ${n} columns (${names.join(", ")})`);
  }
  // Rows with a wrong field count: TensorFlow's message, with the file and line.
  const good: Row[] = [];
  rows.forEach((r, k) => {
    if (r.fields.length === n) good.push(r);
    else if (!ignoreErrors) {
      throw new InvalidArgumentError(
        `${WHERE}: ${r.file}:${r.line}: Expect ${n} fields but have ${r.fields.length} in record ${k} (columns: ${names!.join(", ")})`,
      );
    }
  });
  // Columns kept, in file order.
  let keep = names.map((_v, i) => i);
  if (selectColumns) {
    keep = selectColumns.map((c) => {
      const i = typeof c === "number" ? c : names!.indexOf(c);
      if (i < 0 || i >= n) throw new InvalidArgumentError(`${WHERE}: selectColumns names ${JSON.stringify(c)}, which is not a column (${names!.join(", ")})`);
      return i;
    });
    keep.sort((x, y) => x - y);
  }
  if (labelName !== undefined && !keep.some((i) => names![i] === labelName)) {
    throw new InvalidArgumentError(`${WHERE}: labelName ${JSON.stringify(labelName)} is not among the columns (${keep.map((i) => names![i]).join(", ")})`);
  }
  const sample = good.slice(0, numRowsFor(a[17]));
  const columns: { name: string; tensor: HostTensor }[] = [];
  const bad = new Set<Row>();
  const parsed = keep.map((ci) => {
    const spec = columnDefaults?.[ci];
    let dtype: DType;
    let dflt: Default = null;
    if (typeof spec === "string" && isDType(spec)) dtype = spec;
    else if (spec === undefined || (Array.isArray(spec) && spec.length === 0)) dtype = inferType(sample.map((r) => r.fields[ci]));
    else if (typeof spec === "number") [dtype, dflt] = ["float32", spec];
    else if (typeof spec === "bigint") [dtype, dflt] = ["int64", spec];
    else if (typeof spec === "string") [dtype, dflt] = ["string", spec];
    else throw new InvalidArgumentError(`${WHERE}: columnDefaults[${ci}] must be a dtype, a number or a string`);
    const values: unknown[] = good.map((r) => {
      const raw = r.fields[ci];
      if (raw === "" || raw === naValue) {
        if (dflt !== null) return dflt;
        if (dtype === "string" && spec === undefined) return "";
        if (ignoreErrors) {
          bad.add(r);
          return dtype === "string" ? "" : 0;
        }
        throw new InvalidArgumentError(`${WHERE}: ${r.file}:${r.line}: Field ${ci} (${names![ci]}) is required but missing`);
      }
      if (dtype === "string") return raw;
      const v = dtype === "int64" ? (INT.test(raw.trim()) ? BigInt(raw.trim()) : null) : Number(raw);
      if (v === null || (typeof v === "number" && (!Number.isFinite(v) || ((dtype === "int32" || dtype === "uint8") && !Number.isInteger(v))))) {
        if (ignoreErrors) {
          bad.add(r);
          return 0;
        }
        throw new InvalidArgumentError(`${WHERE}: ${r.file}:${r.line}: Field ${ci} (${names![ci]}) "${raw}" is not a valid ${dtype}`);
      }
      return v;
    });
    return { ci, dtype, values };
  });
  const kept = good.filter((r) => !bad.has(r));
  const keepIdx = bad.size === 0 ? null : good.map((r, k) => (bad.has(r) ? -1 : k)).filter((k) => k >= 0);
  for (const p of parsed) {
    const vals = keepIdx ? keepIdx.map((k) => p.values[k]) : p.values;
    const out: Values = zeroValues(p.dtype, vals.length);
    for (let k = 0; k < vals.length; k++) (out as unknown[])[k] = p.dtype === "int64" ? BigInt(vals[k] as bigint) : vals[k];
    columns.push({ name: names[p.ci], tensor: { dtype: p.dtype, shape: [kept.length], values: out } });
  }
  const features: Record<string, Structure> = {};
  const comps: HostTensor[] = [];
  let label: number | null = null;
  const sorted = [...columns].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const c of sorted) {
    if (c.name === labelName) continue;
    features[c.name] = comps.length;
    comps.push(c.tensor);
  }
  if (labelName !== undefined) {
    label = comps.length;
    comps.push(columns.find((c) => c.name === labelName)!.tensor);
  }
  let ds = new Dataset(new SlicesNode(comps, label === null ? features : [features, label]));
  if (shuffle) ds = ds.shuffle(shuffleBufferSize, { seed: shuffleSeed });
  ds = ds.repeat(numEpochs ?? -1).batch(batchSize);
  return ds.prefetch(prefetchBufferSize ?? -1);
});

function numRowsFor(n: number): number {
  return n < 0 ? Number.POSITIVE_INFINITY : n;
}
