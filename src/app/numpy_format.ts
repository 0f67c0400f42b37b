/**
 * NumPy's default printing of arrays (print(np_array)), which TensorFlow's inspect_checkpoint shows values
 * in: floats with the fewest digits that identify each value (at most 8 after the point), right-padded so
 * the points line up, scientific notation when the magnitudes call for it; integers right-aligned; 0-d
 * arrays as their scalar; lines wrapped at 75 columns; arrays over 1000 elements summarised with "..." and
 * 3 items at each end of every long axis.
 */
import type { DType } from "../core/dtype.js";

const LINE_WIDTH = 75;
const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 8;

type Element = number | bigint | string | Uint8Array | boolean;

/** Shortest digits identifying x (as a float32 when single), as [digits, exponent] of d.ddd x 10^e. */
function shortest(x: number, single: boolean): [string, number] {
  let s: string;
  if (single) {
    let p = 1;
    while (p < 9 && Math.fround(Number(x.toPrecision(p))) !== x) p++;
    s = Math.abs(Number(x.toPrecision(p))).toExponential();
  } else s = Math.abs(x).toExponential();
  const [m, e] = s.split("e");
  return [m.replace(".", ""), Number(e)];
}

/** Positional digits of |x|: [integer part, fraction], at most `precision` fraction digits, shortest unique. */
function positional(x: number, single: boolean): [string, string] {
  if (x === 0) return ["0", ""];
  const [digits, e] = shortest(x, single);
  let intPart: string;
  let frac: string;
  if (e >= 0) {
    intPart = digits.slice(0, e + 1).padEnd(e + 1, "0");
    frac = digits.slice(e + 1);
  } else {
    intPart = "0";
    frac = "0".repeat(-e - 1) + digits;
  }
  if (frac.length > PRECISION) {
    // Round to PRECISION fraction digits, then drop trailing zeros.
    const r = Math.abs(x).toFixed(PRECISION);
    [intPart, frac] = r.split(".");
    frac = frac.replace(/0+$/, "");
  }
  return [intPart, frac];
}

function scientific(x: number, single: boolean): [string, string, number] {
  if (x === 0) return ["0", "", 0];
  const [digits, e] = shortest(x, single);
  let frac = digits.slice(1);
  let lead = digits[0];
  let exp = e;
  if (frac.length > PRECISION) {
    const [m, ee] = Math.abs(x).toExponential(PRECISION).split("e");
    [lead, frac] = m.split(".");
    frac = frac.replace(/0+$/, "");
    exp = Number(ee);
  }
  return [lead, frac, exp];
}

/** A formatter for every element of one array, fitted to all of them (as NumPy's FloatingFormat is). */
function floatFormatter(values: readonly number[], single: boolean, scalar: boolean): (x: number) => string {
  if (scalar) {
    return (x) => {
      if (Number.isNaN(x)) return "nan";
      if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
      const a = Math.abs(x);
      const sign = x < 0 || Object.is(x, -0) ? "-" : "";
      if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
        const [lead, frac, e] = scientific(x, single);
        return `${sign}${lead}${frac ? `.${frac}` : ""}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
      }
      const [i, f] = positional(x, single);
      return `${sign}${i}.${f === "" ? "0" : f}`;
    };
  }
  const finite = values.filter((v) => Number.isFinite(v));
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const maxV = nonZero.length ? Math.max(...nonZero) : 0;
  const minV = nonZero.length ? Math.min(...nonZero) : 0;
  const exp = nonZero.length > 0 && (maxV >= 1e8 || minV < 1e-4 || maxV / minV > 1000);
  const hasNegInf = values.some((v) => v === Number.NEGATIVE_INFINITY);
  const signOf = (x: number) => (x < 0 || Object.is(x, -0) ? "-" : "");
  if (exp) {
    const parts = finite.map((x) => scientific(x, single));
    const prec = Math.max(0, ...parts.map((p) => p[1].length));
    const expSize = Math.max(2, ...parts.map((p) => String(Math.abs(p[2])).length));
    const padLeft = Math.max(...finite.map((x) => signOf(x).length + 1));
    const padRight = expSize + 2 + prec;
    const width = Math.max(padLeft + padRight + 1, 3, hasNegInf ? 4 : 3);
    return (x) => {
      if (!Number.isFinite(x)) return (Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf").padStart(width);
      const [lead, frac, e] = scientific(x, single);
      const s = `${signOf(x)}${lead}.${frac.padEnd(prec, "0")}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(expSize, "0")}`;
      return s.padStart(width);
    };
  }
  const parts = finite.map((x) => positional(x, single));
  const padLeft0 = Math.max(0, ...finite.map((x, i) => signOf(x).length + parts[i][0].length));
  const padRight = Math.max(0, ...parts.map((p) => p[1].length));
  const offset = padRight + 1;
  const padLeft = Math.max(
    padLeft0,
    values.some(Number.isNaN) ? 3 - offset : 0,
    values.some((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) ? 3 + (hasNegInf ? 1 : 0) - offset : 0,
  );
  return (x) => {
    if (!Number.isFinite(x)) {
      const s = Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
      return s.padStart(padLeft + padRight + 1);
    }
    const [i, f] = positional(x, single);
    return `${`${signOf(x)}${i}`.padStart(padLeft)}.${f.padEnd(padRight)}`;
  };
}

function bytesRepr(b: Uint8Array): string {
  let s = "";
  const hasSingle = b.includes(0x27);
  const hasDouble = b.includes(0x22);
  const q = hasSingle && !hasDouble ? '"' : "'";
  for (const c of b) {
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === 0x09) s += "\\t";
    else if (c === q.charCodeAt(0)) s += `\\${q}`;
    else if (c < 0x20 || c >= 0x7f) s += `\\x${c.toString(16).padStart(2, "0")}`;
    else s += String.fromCharCode(c);
  }
  return `b${q}${s}${q}`;
}

/** print(array) as NumPy writes it. `values` are row-major; strings may be given as bytes. */
export function formatNumpy(values: ArrayLike<Element>, shape: readonly number[], dtype: DType): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const summarize = size > THRESHOLD;
  // The elements shown (NumPy fits the format to those only).
  const shown: number[] = [];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const axisIndices = (n: number) =>
    summarize && n > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
  const collect = (offset: number, dim: number) => {
    if (dim === shape.length) {
      shown.push(offset);
      return;
    }
    for (const i of axisIndices(shape[dim])) if (i >= 0) collect(offset + i * strides[dim], dim + 1);
  };
  collect(0, 0);
  const scalar = shape.length === 0;
  let fmt: (i: number) => string;
  if (dtype === "float32" || dtype === "float64" || dtype === "float16" || dtype === "bfloat16") {
    const f = floatFormatter(
      shown.map((i) => Number(values[i])),
      dtype !== "float64",
      scalar,
    );
    fmt = (i) => f(Number(values[i]));
  } else if (dtype === "bool") {
    const anyFalse = shown.some((i) => !values[i]);
    fmt = (i) => (values[i] ? (scalar || !anyFalse ? "True" : " True") : "False");
  } else if (dtype === "string") {
    const enc = new TextEncoder();
    const strs = new Map(shown.map((i) => [i, bytesRepr(typeof values[i] === "string" ? enc.encode(values[i] as string) : (values[i] as Uint8Array))]));
    // NumPy prints bytes objects with repr(), unpadded.
    fmt = (i) => strs.get(i) as string;
  } else {
    const w = Math.max(0, ...shown.map((i) => String(values[i]).length));
    fmt = (i) => String(values[i]).padStart(w);
  }
  if (scalar) return fmt(0);

  const rec = (offset: number, dim: number, hanging: string, width: number): string => {
    const n = shape[dim];
    const axesLeft = shape.length - dim;
    const idx = axisIndices(n);
    const nextHanging = `${hanging} `;
    const nextWidth = width - 1;
    if (n === 0) return "[]";
    if (axesLeft === 1) {
      const elemWidth = width - 1;
      let s = "";
      let line = hanging;
      const extend = (word: string, w: number) => {
        let wrap = line.length + word.length > w;
        if (line.length <= hanging.length) wrap = false;
        if (wrap) {
          s += `${line.trimEnd()}\n`;
          line = hanging;
        }
        line += word;
      };
      idx.forEach((i, k) => {
        const word = i < 0 ? "..." : fmt(offset + i * strides[dim]);
        if (k < idx.length - 1) {
          extend(word, elemWidth);
          line += " ";
        } else extend(word, width);
      });
      s += line;
      return `[${s.slice(hanging.length)}]`;
    }
    const sep = "\n".repeat(axesLeft - 1);
    let s = "";
    idx.forEach((i, k) => {
      const nested = i < 0 ? "..." : rec(offset + i * strides[dim], dim + 1, nextHanging, nextWidth);
      s += hanging + nested + (k < idx.length - 1 ? sep : "");
    });
    return `[${s.slice(hanging.length)}]`;
  };
  return rec(0, 0, " ", LINE_WIDTH);
}
