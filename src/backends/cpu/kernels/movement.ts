import { allocValues, DType, tfName, Values } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { indexStr, sameShape, shapeStr, sizeOf, stridesOf } from "../../../core/shape.js";
import {
  checkPermutation,
  concatShape,
  gatherShape,
  oneHotShape,
  packShape,
  padShape,
  rangeSize,
  reverseAxes,
  segmentSumShape,
  sliceShape,
  splitShape,
  splitVShapes,
  squeezeShape,
  stridedSliceSpec,
  StridedSliceMasks,
  tileShape,
  transposeShape,
  unpackShape,
} from "../../../core/geometry/array_shapes.js";
import { aliasOf, CpuTensor, KernelTable, out } from "../kernel.js";
import { broadcastOffsets, castValues, filledValues, ints } from "./util.js";

function reshapeTarget(total: number, req: number[]): number[] {
  const known = req.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const shape = req.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (sizeOf(shape) !== total || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`Input to reshape is a tensor with ${total} values, but the requested shape is [${req}]`);
  }
  return shape;
}

// ---------------------------------------------------------------- data movement (any dtype)

/** Index access on any host storage (typed arrays, BigInt64Array, string[]): the kernels below move values. */
type Box = { [i: number]: unknown };

/** dst[dOff..+len] = src[sOff..+len]: a typed-array block copy, or a loop for short runs and strings. */
function copyBlock(dst: Values, dOff: number, src: Values, sOff: number, len: number): void {
  if (len >= 16 && !Array.isArray(src)) {
    (dst as Float64Array).set((src as Float64Array).subarray(sOff, sOff + len), dOff);
    return;
  }
  const d = dst as unknown as Box;
  const s = src as unknown as Box;
  for (let i = 0; i < len; i++) d[dOff + i] = s[sOff + i];
}

/** Offsets (start + j * step) * stride for j < count: one dim's contribution to a flat source index. */
function affineMap(count: number, start: number, step: number, stride: number): Int32Array {
  const m = new Int32Array(count);
  for (let j = 0; j < count; j++) m[j] = (start + j * step) * stride;
  return m;
}

/**
 * The gather every layout op reduces to: dst (shape `shape`, row-major) takes src[sum_d maps[d][i_d]].
 * Transpose, Slice, StridedSlice, Tile, ReverseV2 and MirrorPad differ only in their maps. The last dim
 * runs as a tight loop (a block copy when it reads contiguously).
 */
function gatherByMaps(src: Values, dst: Values, shape: readonly number[], maps: readonly Int32Array[]): void {
  const n = dst.length;
  if (n === 0) return;
  const r = shape.length;
  const s = src as unknown as Box;
  const o = dst as unknown as Box;
  if (r === 0) {
    o[0] = s[0];
    return;
  }
  const inner = shape[r - 1];
  const last = maps[r - 1];
  // Runs of consecutive source offsets in the last dim (a slice's one run, a tile's repeats) are block
  // copies when they are long enough to pay for it.
  const runs: number[] = [];
  if (!Array.isArray(src)) {
    for (let j = 0; j < inner; ) {
      let e = j + 1;
      while (e < inner && last[e] === last[e - 1] + 1) e++;
      runs.push(j, e - j);
      j = e;
    }
  }
  const useRuns = runs.length > 0 && inner / (runs.length / 2) >= 16;
  const idx = new Int32Array(r);
  let base = 0;
  for (let d = 0; d < r - 1; d++) base += maps[d][0];
  let k = 0;
  for (;;) {
    if (useRuns) {
      for (let q = 0; q < runs.length; q += 2) copyBlock(dst, k + runs[q], src, base + last[runs[q]], runs[q + 1]);
      k += inner;
    } else {
      for (let j = 0; j < inner; j++) o[k++] = s[base + last[j]];
    }
    let d = r - 2;
    for (; d >= 0; d--) {
      const m = maps[d];
      base -= m[idx[d]];
      if (++idx[d] < shape[d]) {
        base += m[idx[d]];
        break;
      }
      idx[d] = 0;
      base += m[0];
    }
    if (d < 0 || k >= n) return;
  }
}

/** The inverse of gatherByMaps: dst[sum_d maps[d][i_d]] = (or +=) src (shape `shape`, row-major). */
function scatterByMaps(src: Values, dst: Values, shape: readonly number[], maps: readonly Int32Array[], accumulate: boolean): void {
  const n = src.length;
  if (n === 0) return;
  const r = shape.length;
  const s = src as unknown as Float64Array;
  const o = dst as unknown as Float64Array;
  if (r === 0) {
    o[0] = accumulate ? o[0] + s[0] : s[0];
    return;
  }
  const inner = shape[r - 1];
  const last = maps[r - 1];
  let contiguous = !accumulate && !Array.isArray(src) && inner >= 16;
  for (let j = 1; contiguous && j < inner; j++) if (last[j] !== last[0] + j) contiguous = false;
  const idx = new Int32Array(r);
  let base = 0;
  for (let d = 0; d < r - 1; d++) base += maps[d][0];
  let k = 0;
  for (;;) {
    if (contiguous) {
      copyBlock(dst, base + last[0], src, k, inner);
      k += inner;
    } else if (accumulate) for (let j = 0; j < inner; j++) o[base + last[j]] += s[k++];
    else for (let j = 0; j < inner; j++) o[base + last[j]] = s[k++];
    let d = r - 2;
    for (; d >= 0; d--) {
      const m = maps[d];
      base -= m[idx[d]];
      if (++idx[d] < shape[d]) {
        base += m[idx[d]];
        break;
      }
      idx[d] = 0;
      base += m[0];
    }
    if (d < 0 || k >= n) return;
  }
}

function prod(dims: readonly number[], from = 0, to = dims.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i];
  return p;
}

function checkSameDType(op: string, ts: readonly CpuTensor[]): DType {
  const d = ts[0].dtype;
  ts.forEach((t, i) => {
    if (t.dtype !== d) {
      throw new InvalidArgumentError(`${op}: input #${i}(zero-based) was expected to be a ${tfName(d)} tensor but is a ${tfName(t.dtype)} tensor`);
    }
  });
  return d;
}

/** Lays `parts` side by side in each of `outer` rows: part i contributes `rows[i]` values per row. */
function concatRows(dtype: DType, parts: readonly Values[], rows: readonly number[], outer: number): Values {
  const rowOut = rows.reduce((p, r) => p + r, 0);
  const dst = allocValues(dtype, outer * rowOut);
  let col = 0;
  parts.forEach((src, i) => {
    const len = rows[i];
    for (let o = 0; o < outer; o++) copyBlock(dst, o * rowOut + col, src, o * len, len);
    col += len;
  });
  return dst;
}

/** The inverse of concatRows: each of `outer` rows of x cut into pieces of `rows[i]` values. */
function splitRows(x: CpuTensor, rows: readonly number[], outer: number): Values[] {
  const rowIn = rows.reduce((p, r) => p + r, 0);
  let col = 0;
  return rows.map((len) => {
    const dst = allocValues(x.dtype, outer * len);
    for (let o = 0; o < outer; o++) copyBlock(dst, o * len, x.values, o * rowIn + col, len);
    col += len;
    return dst;
  });
}

/** Gathers x through per-dim maps into a fresh tensor of `shape` (reshaped to `finalShape`). */
function gathered(x: CpuTensor, shape: readonly number[], maps: readonly Int32Array[], finalShape: readonly number[] = shape): CpuTensor {
  const dst = allocValues(x.dtype, sizeOf(shape));
  gatherByMaps(x.values, dst, shape, maps);
  return out(x.dtype, finalShape, dst);
}

const isIdentityPerm = (perm: readonly number[]) => perm.every((p, i) => p === i);

/**
 * A transpose with dims that move together merged (and size-1 dims dropped): [2,3,4] by [2,0,1] is
 * [6,4] by [1,0]. Returns the merged input shape and perm.
 */
function mergeTransposeDims(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((p) => shape[p] !== 1);
  const groups: number[][] = [];
  for (const p of keep) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === p) g.push(p);
    else groups.push([p]);
  }
  const byInput = groups.map((g, i) => ({ first: g[0], size: g.reduce((n, p) => n * shape[p], 1), out: i })).sort((a, b) => a.first - b.first);
  const inShape = byInput.map((g) => g.size);
  const outPerm = groups.map((_, i) => byInput.findIndex((g) => g.out === i));
  return { shape: inShape, perm: outPerm };
}

function stridedMaps(inShape: readonly number[], begin: readonly number[], stride: readonly number[], size: readonly number[]): Int32Array[] {
  const st = stridesOf(inShape);
  return size.map((n, d) => affineMap(n, begin[d], stride[d], st[d]));
}

function stridedSliceOf(shape: readonly number[], b: CpuTensor, e: CpuTensor, s: CpuTensor, attrs: StridedSliceMasks) {
  const spec = stridedSliceSpec(shape, ints(b.values), ints(e.values), ints(s.values), attrs);
  return { spec, size: spec.size as number[], finalShape: spec.finalShape as number[] };
}

/** Input index read by output index j of a dim of size d padded by lo in MirrorPad (REFLECT skips the edge). */
function mirrorMap(outLen: number, d: number, lo: number, reflect: boolean, stride: number): Int32Array {
  const m = new Int32Array(outLen);
  for (let j = 0; j < outLen; j++) {
    let i = j - lo;
    if (i < 0) i = reflect ? -i : -i - 1;
    else if (i >= d) i = reflect ? 2 * d - 2 - i : 2 * d - 1 - i;
    m[j] = i * stride;
  }
  return m;
}

function mirrorMode(attrs: { readonly [k: string]: unknown }, op: string): boolean {
  const mode = attrs.mode as string;
  if (mode !== "REFLECT" && mode !== "SYMMETRIC") throw new InvalidArgumentError(`${op}: mode must be REFLECT or SYMMETRIC, got ${mode}`);
  return mode === "REFLECT";
}

function indexValues(t: CpuTensor, op: string, what: string): Int32Array | BigInt64Array | Uint8Array {
  if (t.dtype !== "int32" && t.dtype !== "int64" && t.dtype !== "uint8") {
    throw new InvalidArgumentError(`${op}: ${what} must be int32 or int64, got ${t.dtype}`);
  }
  return t.values as Int32Array;
}

export const movementKernels: KernelTable = {
  Transpose: ([x, p]) => {
    const perm = ints(p.values);
    const shape = transposeShape(x.shape as number[], perm, perm.length) as number[];
    if (isIdentityPerm(perm)) return [aliasOf(x)];
    const m = mergeTransposeDims(x.shape, perm);
    if (isIdentityPerm(m.perm)) return [aliasOf(x, shape)];
    const st = stridesOf(m.shape);
    const merged = m.perm.map((pd) => m.shape[pd]);
    return [
      gathered(
        x,
        merged,
        m.perm.map((pd, d) => affineMap(merged[d], 0, 1, st[pd])),
        shape,
      ),
    ];
  },
  InvertPermutation: ([x]) => {
    if (x.shape.length !== 1) throw new InvalidArgumentError(`InvertPermutation: x must be a vector, got shape ${shapeStr(x.shape as number[])}`);
    const perm = ints(x.values);
    checkPermutation(perm, "InvertPermutation");
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [out(x.dtype, x.shape, castValues(Int32Array.from(inv), "int32", x.dtype))];
  },
  Squeeze: ([x], attrs) => [aliasOf(x, squeezeShape(x.shape as number[], Array.from(attrs.squeeze_dims as ArrayLike<number>)) as number[])],
  ConcatV2: (inputs) => {
    const vals = inputs.slice(0, -1);
    const axis = ints(inputs[inputs.length - 1].values)[0];
    const dtype = checkSameDType("ConcatV2", vals);
    const shape = concatShape(
      vals.map((v) => v.shape as number[]),
      axis,
    ) as number[];
    if (vals.length === 1) return [aliasOf(vals[0])];
    const a = axis < 0 ? axis + shape.length : axis;
    const outer = prod(shape, 0, a);
    return [
      out(
        dtype,
        shape,
        concatRows(
          dtype,
          vals.map((v) => v.values),
          vals.map((v) => prod(v.shape, a)),
          outer,
        ),
      ),
    ];
  },
  Pack: (vals, attrs) => {
    const axis = attrs.axis as number;
    const dtype = checkSameDType("Pack", vals);
    const shape = packShape(
      vals.map((v) => v.shape as number[]),
      axis,
    ) as number[];
    const a = axis < 0 ? axis + shape.length : axis;
    const outer = prod(shape, 0, a);
    return [
      out(
        dtype,
        shape,
        concatRows(
          dtype,
          vals.map((v) => v.values),
          vals.map((v) => prod(v.shape, a)),
          outer,
        ),
      ),
    ];
  },
  Unpack: ([x], attrs) => {
    const r = x.shape.length;
    const axis = attrs.axis as number;
    const num = attrs.num as number;
    const shape = unpackShape(x.shape as number[], num, axis) as number[];
    const a = axis < 0 ? axis + r : axis;
    const row = prod(x.shape, a + 1);
    return splitRows(x, new Array<number>(num).fill(row), prod(x.shape, 0, a)).map((v) => out(x.dtype, shape, v));
  },
  Split: ([dim, x], attrs) => {
    const num = attrs.num_split as number;
    const axis = ints(dim.values)[0];
    const shape = splitShape(x.shape as number[], axis, num) as number[];
    if (num === 1) return [aliasOf(x)];
    const a = axis < 0 ? axis + shape.length : axis;
    const row = prod(shape, a);
    return splitRows(x, new Array<number>(num).fill(row), prod(x.shape, 0, a)).map((v) => out(x.dtype, shape, v));
  },
  SplitV: ([x, sizes, dim], attrs) => {
    const axis = ints(dim.values)[0];
    const shapes = splitVShapes(x.shape as number[], ints(sizes.values), axis, attrs.num_split as number) as number[][];
    if (shapes.length === 1) return [aliasOf(x)];
    const a = axis < 0 ? axis + x.shape.length : axis;
    return splitRows(
      x,
      shapes.map((s) => prod(s, a)),
      prod(x.shape, 0, a),
    ).map((v, i) => out(x.dtype, shapes[i], v));
  },
  Slice: ([x, b, s]) => {
    const begin = ints(b.values);
    const shape = sliceShape(x.shape as number[], begin, ints(s.values), begin.length) as number[];
    if (sameShape(shape, x.shape)) return [aliasOf(x)];
    const st = stridesOf(x.shape);
    return [
      gathered(
        x,
        shape,
        shape.map((n, d) => affineMap(n, begin[d], 1, st[d])),
      ),
    ];
  },
  StridedSlice: ([x, b, e, s], attrs) => {
    const { spec, size, finalShape } = stridedSliceOf(x.shape, b, e, s, attrs as StridedSliceMasks);
    if (spec.identity) return [aliasOf(x, finalShape)];
    return [gathered(x, size, stridedMaps(x.shape, spec.begin as number[], spec.stride as number[], size), finalShape)];
  },
  StridedSliceGrad: ([shp, b, e, s, dy], attrs) => {
    const shape = ints(shp.values);
    const { spec, size, finalShape } = stridedSliceOf(shape, b, e, s, attrs as StridedSliceMasks);
    if (!sameShape(finalShape, dy.shape)) {
      throw new InvalidArgumentError(`StridedSliceGrad: shape of dy was ${shapeStr(dy.shape as number[])} instead of ${shapeStr(finalShape)}`);
    }
    if (spec.identity) return [aliasOf(dy, shape)];
    const dst = filledValues(dy.dtype, sizeOf(shape), 0);
    scatterByMaps(dy.values, dst, size, stridedMaps(shape, spec.begin as number[], spec.stride as number[], size), false);
    return [out(dy.dtype, shape, dst)];
  },
  ReverseV2: ([x, ax]) => {
    const flags = reverseAxes(x.shape.length, ints(ax.values));
    if (!flags.some((f, d) => f && x.shape[d] > 1)) return [aliasOf(x)];
    const st = stridesOf(x.shape);
    return [
      gathered(
        x,
        x.shape,
        x.shape.map((n, d) => (flags[d] ? affineMap(n, n - 1, -1, st[d]) : affineMap(n, 0, 1, st[d]))),
      ),
    ];
  },
  Tile: ([x, m]) => {
    const mult = ints(m.values);
    const shape = tileShape(x.shape as number[], mult, mult.length) as number[];
    if (mult.every((v) => v === 1)) return [aliasOf(x)];
    // An empty result may still have a dim past what a map can index ([0, 2^31 * 3]): no maps for it.
    if (sizeOf(shape) === 0) return [out(x.dtype, shape, allocValues(x.dtype, 0))];
    const st = stridesOf(x.shape);
    const maps = shape.map((n, d) => {
      const map = new Int32Array(n);
      const dd = x.shape[d];
      for (let j = 0; j < n; j++) map[j] = (j % dd) * st[d];
      return map;
    });
    return [gathered(x, shape, maps)];
  },
  Pad: ([x, p]) => [padConstant(x, p, x.dtype === "string" ? "" : 0, "Pad")],
  PadV2: ([x, p, c]) => {
    if (c.values.length !== 1) throw new InvalidArgumentError(`PadV2: constant_values must be a scalar. Got shape ${shapeStr(c.shape as number[])}`);
    return [padConstant(x, p, c.values[0] as number, "PadV2")];
  },
  MirrorPad: ([x, p], attrs) => {
    const reflect = mirrorMode(attrs, "MirrorPad");
    const pads = ints(p.values);
    const shape = padShape(x.shape as number[], pads, p.shape as number[], "MirrorPad", reflect ? "REFLECT" : "SYMMETRIC") as number[];
    const st = stridesOf(x.shape);
    return [
      gathered(
        x,
        shape,
        shape.map((n, d) => mirrorMap(n, x.shape[d], pads[2 * d], reflect, st[d])),
      ),
    ];
  },
  MirrorPadGrad: ([dy, p], attrs) => {
    const reflect = mirrorMode(attrs, "MirrorPadGrad");
    const pads = ints(p.values);
    const shape = padShape(dy.shape as number[], pads, p.shape as number[], "MirrorPadGrad", reflect ? "REFLECT" : "SYMMETRIC", -1) as number[];
    const st = stridesOf(shape);
    const dst = filledValues(dy.dtype, sizeOf(shape), 0);
    scatterByMaps(
      dy.values,
      dst,
      dy.shape,
      dy.shape.map((n, d) => mirrorMap(n, shape[d], pads[2 * d], reflect, st[d])),
      true,
    );
    return [out(dy.dtype, shape, dst)];
  },
  GatherV2: ([params, indices, ax], attrs) => {
    const idx = indexValues(indices, "GatherV2", "indices");
    const axis = ints(ax.values)[0];
    const batchDims = attrs.batch_dims as number;
    const shape = gatherShape(params.shape as number[], indices.shape as number[], axis, batchDims) as number[];
    const rp = params.shape.length;
    const a = axis < 0 ? axis + rp : axis;
    const b = batchDims < 0 ? batchDims + indices.shape.length : batchDims;
    const nB = prod(params.shape, 0, b);
    const nO = prod(params.shape, b, a);
    const n = params.shape[a];
    const inner = prod(params.shape, a + 1);
    const nJ = prod(indices.shape, b);
    const nIdx = nB * nJ;
    const pos = new Int32Array(nIdx);
    const big = idx instanceof BigInt64Array;
    for (let k = 0; k < nIdx; k++) {
      const v = big ? Number(idx[k]) : (idx[k] as number);
      if (v < 0 || v >= n) {
        throw new InvalidArgumentError(
          `GatherV2: indices[${indexStr(indices.shape, k)}] = ${v} is not in [0, ${n}) (params shape ${shapeStr(params.shape as number[])}, axis ${a})`,
        );
      }
      pos[k] = v;
    }
    const dst = allocValues(params.dtype, sizeOf(shape));
    const d = dst as unknown as Box;
    const p = params.values as unknown as Box;
    for (let bi = 0; bi < nB; bi++) {
      for (let o = 0; o < nO; o++) {
        const row = bi * nO + o;
        const src0 = row * n;
        const dst0 = row * nJ;
        if (inner === 1) {
          for (let j = 0; j < nJ; j++) d[dst0 + j] = p[src0 + pos[bi * nJ + j]];
        } else {
          for (let j = 0; j < nJ; j++) copyBlock(dst, (dst0 + j) * inner, params.values, (src0 + pos[bi * nJ + j]) * inner, inner);
        }
      }
    }
    return [out(params.dtype, shape, dst)];
  },
  GatherTableRow: ([table, rowT, ...params]) => {
    const [rows, b] = table.shape as number[];
    const row = (rowT.values as Int32Array)[0];
    if (row < 0 || row >= rows) {
      throw new InvalidArgumentError(`GatherTableRow: row ${row} is not in [0, ${rows}) (table shape ${shapeStr(table.shape as number[])})`);
    }
    const idx = (table.values as Int32Array).subarray(row * b, (row + 1) * b);
    return params.map((p) => {
      const n = p.shape[0];
      const inner = sizeOf(p.shape.slice(1));
      const dst = allocValues(p.dtype, b * inner);
      for (let j = 0; j < b; j++) {
        const v = idx[j];
        if (v < 0 || v >= n) {
          throw new InvalidArgumentError(
            `GatherTableRow: table[${row}, ${j}] = ${v} is not in [0, ${n}) (params shape ${shapeStr(p.shape as number[])}, table shape ${shapeStr(table.shape as number[])})`,
          );
        }
        copyBlock(dst, j * inner, p.values, v * inner, inner);
      }
      return out(p.dtype, [b, ...p.shape.slice(1)], dst);
    });
  },
  DynamicStitch: (ins) => {
    const n = ins.length / 2;
    const indices = ins.slice(0, n);
    const data = ins.slice(n);
    const lead = indices[0].shape.length;
    const inner = data[0].shape.slice(lead);
    const rowSize = sizeOf(inner);
    let rows = 0;
    for (let k = 0; k < n; k++) {
      const want = [...indices[k].shape, ...inner];
      if (!sameShape(data[k].shape, want)) {
        throw new InvalidArgumentError(
          `DynamicStitch: data[${k}].shape ${shapeStr([...data[k].shape])} must be indices[${k}].shape + ${shapeStr(inner)}: ${shapeStr(want)}`,
        );
      }
      for (const v of indices[k].values as Int32Array) {
        if (v < 0) throw new InvalidArgumentError(`DynamicStitch: indices[${k}] holds ${v}; indices must be non-negative`);
        rows = Math.max(rows, v + 1);
      }
    }
    const shape = [rows, ...inner];
    const dst = allocValues(data[0].dtype, sizeOf(shape));
    // Later pairs overwrite earlier ones at the same index, as TensorFlow documents.
    for (let k = 0; k < n; k++) {
      const ids = indices[k].values as Int32Array;
      for (let r = 0; r < ids.length; r++) copyBlock(dst, ids[r] * rowSize, data[k].values, r * rowSize, rowSize);
    }
    return [out(data[0].dtype, shape, dst)];
  },
  UnsortedSegmentSum: ([data, ids, num]) => {
    const seg = indexValues(ids, "UnsortedSegmentSum", "segment_ids");
    const numSegments = ints(num.values)[0];
    const shape = segmentSumShape(data.shape as number[], ids.shape as number[], numSegments) as number[];
    if (data.dtype === "string" || data.dtype === "bool") throw new InvalidArgumentError(`UnsortedSegmentSum: data must be numeric, got ${data.dtype}`);
    const inner = prod(data.shape, ids.shape.length);
    const m = seg.length;
    const dst = allocValues(data.dtype, sizeOf(shape));
    const big = seg instanceof BigInt64Array;
    const d = dst as Float64Array;
    const src = data.values as Float64Array;
    for (let k = 0; k < m; k++) {
      const id = big ? Number(seg[k]) : (seg[k] as number);
      if (id < 0) continue; // TensorFlow drops negative ids
      if (id >= numSegments) {
        throw new InvalidArgumentError(`UnsortedSegmentSum: segment_ids[${indexStr(ids.shape, k)}] = ${id} is out of range [0, ${numSegments})`);
      }
      const o = id * inner;
      const s = k * inner;
      for (let j = 0; j < inner; j++) d[o + j] += src[s + j];
    }
    return [out(data.dtype, shape, dst)];
  },
  OneHot: ([indices, depthT, on, off], attrs) => {
    const idx = indexValues(indices, "OneHot", "indices");
    const depth = ints(depthT.values)[0];
    const axis = attrs.axis as number;
    const shape = oneHotShape(indices.shape as number[], depth, axis) as number[];
    if (on.values.length !== 1 || off.values.length !== 1) throw new InvalidArgumentError("OneHot: on_value and off_value must be scalars");
    const a = axis === -1 ? indices.shape.length : axis;
    const outer = prod(indices.shape, 0, a);
    const inner = prod(indices.shape, a);
    const dst = filledValues(on.dtype, sizeOf(shape), off.values[0] as number);
    const d = dst as unknown as Box;
    const onV = on.values[0];
    const big = idx instanceof BigInt64Array;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const v = big ? Number(idx[o * inner + i]) : (idx[o * inner + i] as number);
        if (v >= 0 && v < depth) d[(o * depth + v) * inner + i] = onV;
      }
    }
    return [out(on.dtype, shape, dst)];
  },
  Range: ([s, l, dl]) => {
    const dtype = s.dtype;
    const [start, limit, delta] = [s, l, dl].map((t) => Number(t.values[0]));
    const n = rangeSize(start, limit, delta, dtype === "int32" || dtype === "int64");
    const dst = allocValues(dtype, n);
    if (dtype === "int64") {
      const o = dst as BigInt64Array;
      const b0 = s.values[0] as bigint;
      const bd = dl.values[0] as bigint;
      for (let i = 0; i < n; i++) o[i] = b0 + BigInt(i) * bd;
    } else {
      const o = dst as Float64Array;
      for (let i = 0; i < n; i++) o[i] = start + i * delta;
    }
    return [out(dtype, [n], dst)];
  },
  LinSpace: ([s, e, nT]) => {
    const num = ints(nT.values)[0];
    if (num <= 0) throw new InvalidArgumentError(`LinSpace: Requires num > 0: ${num}`);
    const start = s.values[0] as number;
    const stop = e.values[0] as number;
    const dst = allocValues(s.dtype, num) as Float64Array;
    if (num === 1) dst[0] = start;
    else {
      const step = (stop - start) / (num - 1);
      for (let i = 0; i < num - 1; i++) dst[i] = start + i * step;
      dst[num - 1] = stop; // exactly, as TensorFlow does
    }
    return [out(s.dtype, [num], dst)];
  },
  Identity: ([x]) => [aliasOf(x)],
  StopGradient: ([x]) => [aliasOf(x)],
  Reshape: ([x, s]) => [aliasOf(x, reshapeTarget(x.values.length, ints(s.values)))],
  BroadcastTo: ([x, s]) => {
    const shape = ints(s.values);
    const n = sizeOf(shape);
    const o = allocValues(x.dtype, n) as Float64Array;
    const offs = broadcastOffsets(x.shape, shape);
    const xv = x.values as Float64Array;
    for (let i = 0; i < n; i++) o[i] = xv[offs[i]];
    return [out(x.dtype, shape, o)];
  },
  ExpandDims: ([x, d]) => {
    const r = x.shape.length;
    let a = ints(d.values)[0];
    if (a < 0) a += r + 1;
    const shape = x.shape.slice();
    shape.splice(a, 0, 1);
    return [aliasOf(x, shape)];
  },
};

function padConstant(x: CpuTensor, p: CpuTensor, value: number | bigint | string, op: string): CpuTensor {
  const pads = ints(p.values);
  const shape = padShape(x.shape as number[], pads, p.shape as number[], op) as number[];
  const dst = filledValues(x.dtype, sizeOf(shape), value as number);
  const st = stridesOf(shape);
  scatterByMaps(
    x.values,
    dst,
    x.shape,
    x.shape.map((n, d) => affineMap(n, pads[2 * d], 1, st[d])),
    false,
  );
  return out(x.dtype, shape, dst);
}
