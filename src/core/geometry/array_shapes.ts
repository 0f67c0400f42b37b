/**
 * Shape rules of the array ops (Transpose, ConcatV2, Pack, Slice, StridedSlice, GatherV2, Tile, Pad...):
 * pure functions of static shapes and host values, shared by shape inference (where dims may be unknown,
 * null) and the CPU kernels (where everything is known), so both validate alike and say the same thing.
 * Messages follow TensorFlow's kernels'.
 */
import { InvalidArgumentError } from "../errors.js";
import { Dim, Shape, shapeStr } from "../shape.js";

/** Host values of an int vector input, with unknown entries (null) when known only in part. */
export type MaybeInts = readonly (number | null)[];

const fail = (msg: string): never => {
  throw new InvalidArgumentError(msg);
};

const unknownOfRank = (r: number | null | undefined): Shape => (r === null || r === undefined ? null : new Array<Dim>(r).fill(null));

/** The more specific of two dims that must agree, or "conflict". */
function mergeDim(a: Dim, b: Dim): Dim | "conflict" {
  if (a === null) return b;
  if (b === null || a === b) return a;
  return "conflict";
}

function addDims(a: Dim, b: Dim): Dim {
  return a === null || b === null ? null : a + b;
}

// ---------------------------------------------------------------- Transpose

export function checkPermutation(perm: readonly number[], op: string): void {
  const n = perm.length;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = perm[i];
    if (!Number.isInteger(p) || p < 0 || p >= n) fail(`${op}: perm[${i}] = ${p} is out of range [0, ${n}) in perm [${perm}]`);
    if (seen[p]) fail(`${op}: ${p} appears twice in perm [${perm}], which must be a permutation of [0, ${n})`);
    seen[p] = 1;
  }
}

/** Transpose's output: input dims taken in `perm`'s order. */
export function transposeShape(x: Shape, perm: readonly number[] | null, permLen: Dim): Shape {
  if (perm === null) return unknownOfRank(x?.length ?? permLen);
  if (x !== null && x.length !== perm.length) {
    fail(`transpose expects a vector of size ${x.length}. But input(1) is a vector of size ${perm.length} (input shape ${shapeStr(x)}, perm [${perm}])`);
  }
  checkPermutation(perm, "Transpose");
  return perm.map((p) => (x === null ? null : x[p]));
}

// ---------------------------------------------------------------- Squeeze

/** Squeeze's output; `dims` empty squeezes every dim of size 1 (unknown dims then give an unknown shape). */
export function squeezeShape(x: Shape, dims: readonly number[]): Shape {
  if (x === null) return null;
  const r = x.length;
  const drop = new Set<number>();
  for (const d of dims) {
    if (d < -r || d >= r) fail(`Tried to squeeze dim index ${d} for tensor with ${r} dimensions (shape ${shapeStr(x)})`);
    const a = d < 0 ? d + r : d;
    if (x[a] !== null && x[a] !== 1) fail(`Can not squeeze dim[${a}], expected a dimension of 1, got ${x[a]} (shape ${shapeStr(x)})`);
    drop.add(a);
  }
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    if (dims.length === 0) {
      if (x[i] === null) return null; // might be 1 at run time: the rank is not known
      if (x[i] === 1) continue;
    } else if (drop.has(i)) continue;
    out.push(x[i]);
  }
  return out;
}

// ---------------------------------------------------------------- ConcatV2, Pack, Unpack

/** ConcatV2's output: ranks and all dims but `axis` must agree; `axis` dims add up. */
export function concatShape(shapes: readonly Shape[], axis: number | null): Shape {
  const known = shapes.find((s) => s !== null);
  if (known === undefined) return null;
  const r = known.length;
  if (r === 0) fail(`ConcatOp : Can't concatenate scalars (use tf.stack instead): shape[0] = ${shapeStr(known)}`);
  shapes.forEach((s, i) => {
    if (s !== null && s.length !== r) {
      fail(`ConcatOp : Ranks of all input tensors should match: shape[0] = ${shapeStr(known)} vs. shape[${i}] = ${shapeStr(s)}`);
    }
  });
  if (axis === null) return unknownOfRank(r);
  if (axis < -r || axis >= r) fail(`ConcatOp : Expected concatenating dimensions in the range [${-r}, ${r}), but got ${axis}`);
  const a = axis < 0 ? axis + r : axis;
  const out: Dim[] = new Array<Dim>(r).fill(null);
  out[a] = 0;
  let first = -1;
  shapes.forEach((s, i) => {
    if (s === null) {
      out[a] = null;
      return;
    }
    if (first < 0) first = i;
    for (let d = 0; d < r; d++) {
      if (d === a) out[a] = addDims(out[a], s[d]);
      else {
        const m = mergeDim(out[d], s[d]);
        if (m === "conflict") {
          fail(`ConcatOp : Dimension ${d} in both shapes must be equal: shape[${first}] = ${shapeStr(shapes[first])} vs. shape[${i}] = ${shapeStr(s)}`);
        }
        out[d] = m as Dim;
      }
    }
  });
  return out;
}

/** Pack's output: the common shape of the values with their count inserted at `axis`. */
export function packShape(shapes: readonly Shape[], axis: number): Shape {
  let common: Shape = null;
  shapes.forEach((s, i) => {
    if (s === null) return;
    if (common === null) {
      common = s.slice();
      return;
    }
    const c: Dim[] = common;
    const bad = () =>
      fail(`Shapes of all inputs must match: values[0].shape = ${shapeStr(shapes.find((t) => t !== null) ?? null)} != values[${i}].shape = ${shapeStr(s)}`);
    if (c.length !== s.length) bad();
    for (let d = 0; d < c.length; d++) {
      const m = mergeDim(c[d], s[d]);
      if (m === "conflict") bad();
      c[d] = m as Dim;
    }
  });
  if (common === null) return null;
  const c: Dim[] = common;
  const r = c.length;
  if (axis < -(r + 1) || axis > r) fail(`Pack: axis = ${axis} not in [${-(r + 1)}, ${r + 1}) for values of shape ${shapeStr(c)}`);
  const a = axis < 0 ? axis + r + 1 : axis;
  c.splice(a, 0, shapes.length);
  return c;
}

/** Unpack's output (each of `num`): the input's shape without `axis`. */
export function unpackShape(x: Shape, num: number, axis: number): Shape {
  if (x === null) return null;
  const r = x.length;
  if (axis < -r || axis >= r) fail(`Unpack: axis = ${axis} not in [${-r}, ${r}) for input of shape ${shapeStr(x)}`);
  const a = axis < 0 ? axis + r : axis;
  if (x[a] !== null && x[a] !== num) fail(`Unpack: Dimension must be ${num} but is ${x[a]} (input shape ${shapeStr(x)}, axis ${axis})`);
  return x.filter((_, i) => i !== a);
}

// ---------------------------------------------------------------- Split, SplitV

function splitAxis(x: Dim[], axis: number, op: string): number {
  const r = x.length;
  if (axis < -r || axis >= r) fail(`${op}: -input rank(-${r}) <= split_dim < input rank (${r}), but got ${axis} (input shape ${shapeStr(x)})`);
  return axis < 0 ? axis + r : axis;
}

/** Split's output (each of `num`): the input split evenly along `axis`. */
export function splitShape(x: Shape, axis: number | null, num: number): Shape {
  if (num <= 0) fail(`Split: Number of ways to split should be > 0, but got ${num}`);
  if (x === null) return null;
  if (axis === null) return unknownOfRank(x.length);
  const a = splitAxis(x, axis, "Split");
  const d = x[a];
  if (d !== null && d % num !== 0) {
    fail(
      `Split: Number of ways to split should evenly divide the split dimension, but got split_dim ${axis} (size = ${d}) and num_split ${num} (input shape ${shapeStr(x)})`,
    );
  }
  const out = x.slice();
  out[a] = d === null ? null : d / num;
  return out;
}

/** SplitV's outputs: sizes along `axis` (one may be -1, the rest). */
export function splitVShapes(x: Shape, sizes: MaybeInts | null, axis: number | null, num: number): Shape[] {
  if (sizes !== null && sizes.length !== num) fail(`SplitV: size_splits has ${sizes.length} entries but num_split is ${num}`);
  if (x === null) return new Array<Shape>(num).fill(null);
  if (axis === null) return new Array<Shape>(num).fill(unknownOfRank(x.length));
  const a = splitAxis(x, axis, "SplitV");
  const d = x[a];
  const resolved: Dim[] = sizes === null ? new Array<Dim>(num).fill(null) : sizes.slice();
  if (sizes?.every((s) => s !== null)) {
    const s = sizes as number[];
    const neg = s.map((v, i) => (v === -1 ? i : -1)).filter((i) => i >= 0);
    if (neg.length > 1) fail(`SplitV: There can only be one -1 in the input size_splits [${s}]`);
    s.forEach((v, i) => {
      if (v < -1) fail(`SplitV: Split size at index ${i} must be >= 0. Got: ${v}`);
    });
    const known = s.reduce((p, v) => (v === -1 ? p : p + v), 0);
    if (d !== null) {
      if ((neg.length === 0 && known !== d) || (neg.length === 1 && known > d)) {
        fail(
          `SplitV: Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified.  Got: ${known} for size_splits [${s}] of input shape ${shapeStr(x)} along axis ${a}`,
        );
      }
      if (neg.length === 1) resolved[neg[0]] = d - known;
    } else if (neg.length === 1) resolved[neg[0]] = null;
  }
  return resolved.map((v) => {
    const o = x.slice();
    o[a] = v === -1 ? null : v;
    return o;
  });
}

// ---------------------------------------------------------------- Slice

/** Slice's output and its resolved sizes; size -1 means "to the end". */
export function sliceShape(x: Shape, begin: MaybeInts | null, size: MaybeInts | null, specLen: Dim): Shape {
  if (begin !== null && size !== null && begin.length !== size.length) {
    fail(`Slice: Expected begin and size arguments to be 1-D tensors of the same size, but got shapes [${begin.length}] and [${size.length}] instead.`);
  }
  const n = begin?.length ?? size?.length ?? specLen;
  if (x !== null && n !== null && n !== x.length) {
    fail(
      `Slice: Expected begin and size arguments to be 1-D tensors of size ${x.length}, but got shapes [${n}] and [${n}] instead (input shape ${shapeStr(x)}).`,
    );
  }
  const r = x?.length ?? n;
  if (r === null) return null;
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const d = x === null ? null : x[i];
    const b = begin === null ? null : begin[i];
    const s = size === null ? null : size[i];
    if (b !== null && d !== null && (b < 0 || b > d)) fail(`Slice: Expected begin[${i}] in [0, ${d}], but got ${b} (input shape ${shapeStr(x)})`);
    if (b !== null && b < 0) fail(`Slice: Expected begin[${i}] >= 0, but got ${b}`);
    if (s !== null && s < -1) fail(`Slice: Expected size[${i}] >= -1, but got ${s}`);
    if (s !== null && s !== -1) {
      if (b !== null && d !== null && b + s > d)
        fail(`Slice: Expected size[${i}] in [0, ${d - b}], but got ${s} (input shape ${shapeStr(x)}, begin[${i}] = ${b})`);
      out.push(s);
    } else if (s === -1 && b !== null && d !== null) out.push(d - b);
    else out.push(null);
  }
  return out;
}

// ---------------------------------------------------------------- StridedSlice

export interface StridedSliceMasks {
  readonly begin_mask?: number;
  readonly end_mask?: number;
  readonly ellipsis_mask?: number;
  readonly new_axis_mask?: number;
  readonly shrink_axis_mask?: number;
}

/** A strided slice resolved against the input's dims: what each input dim contributes. */
export interface DenseSlice {
  /** Per input dim: first index read (canonical, non-negative), step, and count read. */
  readonly begin: Dim[];
  readonly stride: Dim[];
  readonly size: Dim[];
  /** The output's shape (shrunk dims removed, new axes added). */
  readonly finalShape: Dim[];
  /** Every input dim is read whole and in order: the output is a reshape of the input. */
  readonly identity: boolean;
}

/**
 * TensorFlow's StridedSlice semantics: a sparse spec (begin/end/strides with masks, an ellipsis and new
 * axes) expanded to one (begin, stride, size) per input dim. Unknown dims or values give unknown sizes.
 */
export function stridedSliceSpec(shape: readonly Dim[], begin: MaybeInts, end: MaybeInts, strides: MaybeInts, masks: StridedSliceMasks): DenseSlice {
  const n = begin.length;
  if (end.length !== n || strides.length !== n) {
    fail(
      `StridedSlice: Expected begin, end, and strides to be 1D equal size tensors, but got shapes [${n}], [${end.length}], and [${strides.length}] instead.`,
    );
  }
  const bit = (m: number | undefined, k: number) => (((m ?? 0) >>> k) & 1) === 1;
  let ellipsisMask = masks.ellipsis_mask ?? 0;
  let seen = false;
  let newAfter = 0;
  for (let k = 0; k < n; k++) {
    if (bit(ellipsisMask, k)) {
      if (seen) fail("StridedSlice: Multiple ellipses in slice spec not allowed");
      seen = true;
    } else if (seen && bit(masks.new_axis_mask, k)) newAfter++;
  }
  let sparseN = n;
  if (!seen) {
    ellipsisMask |= 1 << n; // an implicit ellipsis after the last index takes the remaining dims
    sparseN = n + 1;
  }
  const rank = shape.length;
  const dBegin: (number | null)[] = new Array(rank).fill(0);
  const dEnd: (number | null)[] = new Array(rank).fill(0);
  const dStride: (number | null)[] = new Array(rank).fill(1);
  const dBeginMask: boolean[] = new Array(rank).fill(true);
  const dEndMask: boolean[] = new Array(rank).fill(true);
  const dShrink: boolean[] = new Array(rank).fill(false);
  const final: number[] = []; // dense dim index, or -1 for a new axis
  let full = 0;
  for (let k = 0; k < sparseN; k++) {
    if (bit(ellipsisMask, k)) {
      const next = Math.min(rank - (sparseN - k) + 1 + newAfter, rank);
      for (; full < next; full++) final.push(full);
    } else if (bit(masks.new_axis_mask, k)) {
      final.push(-1);
    } else {
      if (full >= rank) fail(`StridedSlice: Index out of range using input dim ${full}; input has only ${rank} dims (input shape ${shapeStr(shape as Dim[])})`);
      dBegin[full] = begin[k];
      dEnd[full] = end[k];
      dStride[full] = strides[k];
      dBeginMask[full] = bit(masks.begin_mask, k);
      dEndMask[full] = bit(masks.end_mask, k);
      dShrink[full] = bit(masks.shrink_axis_mask, k);
      if (!dShrink[full]) final.push(full);
      full++;
    }
  }
  const rBegin: Dim[] = new Array(rank);
  const rSize: Dim[] = new Array(rank);
  let identity = true;
  for (let i = 0; i < rank; i++) {
    const s = dStride[i];
    const d = shape[i];
    if (s === 0) fail(`StridedSlice: strides[${i}] must be non-zero`);
    if (dShrink[i]) {
      if (s !== null && s <= 0) fail("StridedSlice: only stride 1 allowed on non-range indexing.");
      const b = dBegin[i];
      rSize[i] = 1;
      if (b === null || d === null) rBegin[i] = null;
      else {
        const x = b < 0 ? d + b : b;
        if (x < 0 || x >= d) fail(`StridedSlice: slice index ${b} of dimension ${i} out of bounds (input shape ${shapeStr(shape as Dim[])}).`);
        rBegin[i] = x;
      }
      dStride[i] = 1;
      if (d !== 1) identity = false;
      continue;
    }
    if (s === null || d === null) {
      rBegin[i] = null;
      rSize[i] = null;
      identity = false;
      continue;
    }
    const pos = s > 0;
    const canon = (x: number | null, masked: boolean, isBegin: boolean): number | null => {
      if (masked) return pos ? (isBegin ? 0 : d) : isBegin ? d - 1 : -1;
      if (x === null) return null;
      const v = x < 0 ? x + d : x;
      return pos ? Math.min(Math.max(v, 0), d) : Math.min(Math.max(v, -1), d - 1);
    };
    const b = canon(dBegin[i], dBeginMask[i], true);
    const e = canon(dEnd[i], dEndMask[i], false);
    rBegin[i] = b;
    if (b === null || e === null) {
      rSize[i] = null;
      identity = false;
      continue;
    }
    const size = Math.max(0, Math.ceil((e - b) / s));
    rSize[i] = size;
    if (!(b === 0 && s === 1 && size === d)) identity = false;
  }
  return {
    begin: rBegin,
    stride: dStride,
    size: rSize,
    finalShape: final.map((f) => (f < 0 ? 1 : rSize[f])),
    identity,
  };
}

/** StridedSlice's output shape, with unknown rank or unknown spec handled. */
export function stridedSliceShape(
  x: Shape,
  begin: MaybeInts | null,
  end: MaybeInts | null,
  strides: MaybeInts | null,
  specLen: Dim,
  masks: StridedSliceMasks,
): Shape {
  const n = begin?.length ?? end?.length ?? strides?.length ?? specLen;
  if (x === null || n === null) return null;
  const fillN = (v: MaybeInts | null) => v ?? new Array<number | null>(n).fill(null);
  return stridedSliceSpec(x, fillN(begin), fillN(end), fillN(strides), masks).finalShape;
}

// ---------------------------------------------------------------- GatherV2, UnsortedSegmentSum

/** GatherV2's output: params[:axis] + indices[batch_dims:] + params[axis+1:]. */
export function gatherShape(params: Shape, indices: Shape, axis: number | null, batchDims: number): Shape {
  const ri = indices?.length ?? null;
  let b = batchDims;
  if (b < 0) {
    if (ri === null) return null;
    b += ri;
  }
  if (ri !== null && (b < 0 || b > ri)) fail(`GatherV2: batch_dims (${batchDims}) must be in [${-ri}, ${ri}] for indices of shape ${shapeStr(indices)}`);
  if (params === null) return null;
  const rp = params.length;
  if (rp === 0) fail(`GatherV2: params must be at least 1 dimensional, got shape ${shapeStr(params)}`);
  if (axis === null) return ri === null ? null : unknownOfRank(rp - 1 + ri - b);
  if (axis < -rp || axis >= rp) fail(`GatherV2: Expected axis in the range [${-rp}, ${rp}), but got ${axis} (params shape ${shapeStr(params)})`);
  const a = axis < 0 ? axis + rp : axis;
  if (b > a) fail(`GatherV2: batch_dims (${b}) must be less than or equal to axis (${a})`);
  if (indices === null) return null;
  const batch: Dim[] = [];
  for (let i = 0; i < b; i++) {
    const m = mergeDim(params[i], indices[i]);
    if (m === "conflict") {
      fail(
        `GatherV2: params.shape[${i}] = ${params[i]} should equal indices.shape[${i}] = ${indices[i]} (batch_dims ${b}; params shape ${shapeStr(params)}, indices shape ${shapeStr(indices)})`,
      );
    }
    batch.push(m as Dim);
  }
  return [...batch, ...params.slice(b, a), ...indices.slice(b), ...params.slice(a + 1)];
}

/** UnsortedSegmentSum's output: [num_segments] + data.shape[rank(segment_ids):]. */
export function segmentSumShape(data: Shape, ids: Shape, num: number | null): Shape {
  if (num !== null && num < 0) fail(`UnsortedSegmentSum: num_segments must be non-negative, got ${num}`);
  if (data === null || ids === null) return null;
  if (ids.length > data.length || ids.some((d, i) => mergeDim(d, data[i]) === "conflict")) {
    fail(`UnsortedSegmentSum: data.shape = ${shapeStr(data)} does not start with segment_ids.shape = ${shapeStr(ids)}`);
  }
  return [num, ...data.slice(ids.length)];
}

// ---------------------------------------------------------------- Tile, Pad, MirrorPad

export function tileShape(x: Shape, multiples: MaybeInts | null, multLen: Dim): Shape {
  const n = multiples?.length ?? multLen;
  if (x !== null && n !== null && x.length !== n) {
    fail(`Tile: Expected multiples argument to be a vector of length ${x.length} but got length ${n} (input shape ${shapeStr(x)})`);
  }
  const r = x?.length ?? n;
  if (r === null) return null;
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const m = multiples === null ? null : multiples[i];
    if (m !== null && m < 0) fail(`Tile: Expected multiples[${i}] >= 0, but got ${m}`);
    const d = x === null ? null : x[i];
    out.push(m === 0 || d === 0 ? 0 : m === null || d === null ? null : m * d);
  }
  return out;
}

/**
 * Pad's (and MirrorPad's, MirrorPadGrad's) output. `paddings` is the flat [rank, 2] matrix; `sign` -1
 * removes the paddings (MirrorPadGrad). MirrorPad bounds them by the dim size (REFLECT: <, SYMMETRIC: <=).
 */
export function padShape(x: Shape, paddings: MaybeInts | null, paddingsShape: Shape, op: string, mode?: string, sign = 1): Shape {
  if (paddingsShape !== null) {
    if (paddingsShape.length !== 2 || (paddingsShape[1] !== null && paddingsShape[1] !== 2)) {
      fail(`${op}: paddings must be a matrix with 2 columns: ${shapeStr(paddingsShape)}`);
    }
    if (x !== null && paddingsShape[0] !== null && paddingsShape[0] !== x.length) {
      fail(`${op}: The first dimension of paddings must be the rank of inputs${shapeStr(paddingsShape)}, input shape ${shapeStr(x)}`);
    }
  }
  const r = x?.length ?? paddingsShape?.[0] ?? (paddings === null ? null : paddings.length / 2);
  if (r === null) return null;
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const d = x === null ? null : x[i];
    const lo = paddings === null ? null : paddings[2 * i];
    const hi = paddings === null ? null : paddings[2 * i + 1];
    if ((lo !== null && lo < 0) || (hi !== null && hi < 0)) fail(`${op}: Paddings must be non-negative: ${lo} ${hi}`);
    if (mode !== undefined && d !== null && lo !== null && hi !== null) {
      const orig = sign > 0 ? d : d - lo - hi;
      if (mode === "REFLECT" && (lo >= orig || hi >= orig)) {
        fail(`${op}: paddings must be less than the dimension size: ${lo}, ${hi} not less than ${orig} (dim ${i} of input shape ${shapeStr(x)}, mode REFLECT)`);
      }
      if (mode === "SYMMETRIC" && (lo > orig || hi > orig)) {
        fail(
          `${op}: paddings must be no greater than the dimension size: ${lo}, ${hi} greater than ${orig} (dim ${i} of input shape ${shapeStr(x)}, mode SYMMETRIC)`,
        );
      }
    }
    if (sign < 0 && d !== null && lo !== null && hi !== null && lo + hi > d) {
      fail(`${op}: paddings ${lo}, ${hi} exceed dimension ${i} of size ${d}`);
    }
    out.push(d === null || lo === null || hi === null ? null : d + sign * (lo + hi));
  }
  return out;
}

// ---------------------------------------------------------------- OneHot, Range, ReverseV2

export function oneHotShape(indices: Shape, depth: number | null, axis: number): Shape {
  if (depth !== null && depth < 0) fail(`OneHot: depth must be non-negative, got: ${depth}`);
  if (indices === null) return null;
  const r = indices.length;
  if (axis !== -1 && (axis < 0 || axis > r)) fail(`OneHot: Expected axis to be -1 or between [0, ${r + 1}).  But received: ${axis}`);
  const out = indices.slice();
  out.splice(axis === -1 ? r : axis, 0, depth);
  return out;
}

/** The number of elements of Range(start, limit, delta), checked as TensorFlow checks it. */
export function rangeSize(start: number, limit: number, delta: number, integral: boolean): number {
  if (delta === 0) fail(`Range: Requires delta != 0: ${delta}`);
  if (delta > 0 && start > limit) fail(`Range: Requires start <= limit when delta > 0: ${start}/${limit}`);
  if (delta < 0 && start < limit) fail(`Range: Requires start >= limit when delta < 0: ${start}/${limit}`);
  const n = integral ? Math.floor((Math.abs(limit - start) + Math.abs(delta) - 1) / Math.abs(delta)) : Math.ceil(Math.abs((limit - start) / delta));
  if (!Number.isFinite(n) || n > 2 ** 31 - 1) fail(`Range: Requires ((limit - start) / delta) <= 2147483647, got ${start}, ${limit}, ${delta}`);
  return n;
}

/** ReverseV2's axes as a per-dim flag, checked for range and repeats. */
export function reverseAxes(rank: number, axes: readonly number[]): boolean[] {
  const flags = new Array<boolean>(rank).fill(false);
  axes.forEach((ax, i) => {
    if (ax < -rank || ax >= rank) fail(`ReverseV2: 'axis'[${i}] = ${ax} is out of valid range [${-rank}, ${rank - 1}]`);
    const a = ax < 0 ? ax + rank : ax;
    if (flags[a]) fail(`ReverseV2: axis ${a} specified more than once.`);
    flags[a] = true;
  });
  return flags;
}

/**
 * BroadcastGradientArgs: the axes along which each of two broadcast shapes was expanded (the gradient of an
 * input is summed over its axes). Both backends' kernels compute it here.
 */
export function broadcastGradientArgs(a: readonly number[], b: readonly number[]): [number[], number[]] {
  const n = Math.max(a.length, b.length);
  const pa = [...new Array(n - a.length).fill(1), ...a];
  const pb = [...new Array(n - b.length).fill(1), ...b];
  const r0: number[] = [];
  const r1: number[] = [];
  for (let i = 0; i < n; i++) {
    if (pa[i] === pb[i]) continue;
    if (pa[i] === 1) r0.push(i);
    else if (pb[i] === 1) r1.push(i);
    else throw new InvalidArgumentError(`Incompatible shapes: [${a}] vs. [${b}]`);
  }
  return [r0, r1];
}
