import { bytesPerElement } from "../../../core/dtype.js";
import { InternalError, InvalidArgumentError } from "../../../core/errors.js";
import { indexStr, shapeStr, sizeOf, stridesOf } from "../../../core/shape.js";
import { getOpSchema } from "../../../core/schema/index.js";
import type { TensorSpec } from "../../../core/schema/types.js";
import type { Attrs } from "../../../core/schema/types.js";
import { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { MAX_BCAST_RANK } from "../sources/common.js";
import { gatherSource, oneHotSource, segmentSumSource, stridedCopySource, TABLE_GATHER, tableGatherSource } from "../sources/movement.js";
import { argI, hostInts, idx64, launchGroups, STORED } from "./util.js";
import { viaFloat32 } from "../widen.js";

/**
 * The movement family on the GPU: ops that only relabel a buffer (Reshape, Identity, ...), and strided copies
 * (Transpose, BroadcastTo, Slice, ReverseV2, ConcatV2, Pack, Unpack, Split, SplitV) through one kernel with
 * different strides; OneHot; GatherV2 and its gradient's UnsortedSegmentSum. Sources: sources/movement.ts.
 */

// ---------------------------------------------------------------- buffers relabelled, not copied

/** The output shape of an op that only relabels its input (Reshape, ExpandDims, Squeeze, Identity). */
function relabel(type: string, host: readonly number[]): CudaKernelDef {
  return {
    host,
    supports: (d) => STORED.has(d[0]),
    run: (b, inputs, attrs) => {
      const def = getOpSchema(type)!;
      const specs: TensorSpec[] = inputs.map((h, i) => ({ dtype: h.dtype, shape: h.shape.slice(), value: host.includes(i) ? b.hostValues(h) : undefined }));
      const [o] = def.infer(specs, attrs, type);
      const x = inputs[0];
      if (o.shape === null || o.shape.some((d) => d === null)) return null;
      const shape = o.shape as number[];
      if (sizeOf(shape) !== sizeOf(x.shape)) return null;
      return [b.alias(x, shape)];
    },
  };
}

// ---------------------------------------------------------------- data movement (strided copies)

/**
 * Copies the elements of an iteration space `dims` from src (at sbase + c·ss) to dst (at dbase + c·ds),
 * element offsets. Dims of size 1 are dropped and dims both sides walk contiguously are merged; a fully
 * contiguous copy is one cuMemcpyDtoDAsync. Returns false when more than MAX_BCAST_RANK dims remain.
 */
export function stridedCopy(
  b: KernelContext,
  src: CudaHandle,
  dst: CudaHandle,
  dims: readonly number[],
  ss: readonly number[],
  ds: readonly number[],
  sbase: number,
  dbase: number,
): boolean {
  const n = sizeOf(dims);
  if (n === 0) return true;
  // A pointer that is not a number would reach the GPU as garbage and fault the context: refuse it here.
  if (!(src instanceof CudaHandle) || !(dst instanceof CudaHandle)) throw new InternalError("stridedCopy: both buffers must be on the GPU");
  const D: number[] = [];
  const S: number[] = [];
  const T: number[] = [];
  dims.forEach((d, i) => {
    if (d === 1) return;
    const k = D.length - 1;
    if (k >= 0 && S[k] === ss[i] * d && T[k] === ds[i] * d) {
      D[k] *= d;
      S[k] = ss[i];
      T[k] = ds[i];
    } else {
      D.push(d);
      S.push(ss[i]);
      T.push(ds[i]);
    }
  });
  const esz = bytesPerElement(src.dtype);
  if (D.length === 0 || (D.length === 1 && S[0] === 1 && T[0] === 1)) {
    const r = b.ctx.api.lib.cuMemcpyDtoDAsync(dst.ptr + dbase * esz, src.ptr + sbase * esz, n * esz, b.ctx.stream);
    b.ctx.api.check("cuMemcpyDtoDAsync", r);
    return true;
  }
  if (D.length > MAX_BCAST_RANK) return false;
  const i64 = idx64(n);
  const fn = b.fn(`scopy.${esz}.${i64 ? 64 : 32}`, "scopy", () => stridedCopySource(esz, i64));
  const pad = (v: number[], fill: number) => [...v, ...new Array(MAX_BCAST_RANK - v.length).fill(fill)];
  b.ctx.argPtr(src.ptr).argPtr(dst.ptr);
  argI(b, i64, n);
  b.ctx
    .argI32(D.length)
    .argI64(sbase)
    .argI64(dbase)
    .argI64s([...pad(D, 1), ...pad(S, 0), ...pad(T, 0)]);
  b.launch(fn, b.grid(n));
  return true;
}

/** Output shapes from the op table's inference, with host-side inputs' values (null if any is unknown). */
function inferShapes(b: KernelContext, type: string, inputs: readonly CudaHandle[], attrs: Attrs, host: readonly number[]): number[][] | null {
  const specs: TensorSpec[] = inputs.map((h, i) => ({ dtype: h.dtype, shape: h.shape.slice(), value: host.includes(i) ? b.hostValues(h) : undefined }));
  const outs = getOpSchema(type)!.infer(specs, attrs, type);
  if (outs.some((o) => o.shape === null || o.shape.some((d) => d === null))) return null;
  return outs.map((o) => o.shape as number[]);
}

/** A movement op: `plan` gives the output shapes and, per output, the copies that fill it. */
function movement(
  type: string,
  host: readonly number[],
  plan: (
    b: KernelContext,
    ins: CudaHandle[],
    attrs: Attrs,
    shapes: number[][],
  ) => { copies: { out: number; src: number; dims: number[]; ss: number[]; ds: number[]; sbase: number; dbase: number }[] } | null,
): CudaKernelDef {
  return {
    host,
    supports: (d) => d.every((x, i) => host.includes(i) || STORED.has(x)),
    run: (b, ins, attrs) => {
      const shapes = inferShapes(b, type, ins, attrs, host);
      if (!shapes) return null;
      const p = plan(b, ins, attrs, shapes);
      if (!p) return null;
      const dtype = ins.find((_, i) => !host.includes(i))!.dtype;
      const outs = shapes.map((s) => b.empty(dtype, s, type));
      for (const c of p.copies) {
        if (!stridedCopy(b, ins[c.src], outs[c.out], c.dims, c.ss, c.ds, c.sbase, c.dbase)) {
          for (const o of outs) b.dispose(o);
          return null;
        }
      }
      return outs;
    },
  };
}

const norm = (a: number, r: number) => (a < 0 ? a + r : a);

/**
 * dst = src with its axes permuted (dst's axis i is src's axis perm[i]; dst already has that shape): the
 * strided copy behind Transpose, also used for layout changes (layout.ts, cuDNN's filters). false where
 * stridedCopy declines (too many dims after merging).
 */
export function permuteInto(b: KernelContext, src: CudaHandle, dst: CudaHandle, perm: readonly number[]): boolean {
  return stridedCopy(b, src, dst, dst.shape, permutedStrides(src.shape, perm), stridesOf(dst.shape), 0, 0);
}

/** Source strides walked in the permuted order: element i of the result reads the source through these. */
function permutedStrides(shape: readonly number[], perm: readonly number[]): number[] {
  const st = stridesOf(shape);
  return perm.map((d) => st[norm(d, shape.length)]);
}

// Concatenation and stacking: each input is copied into its slab of the output.
const slabs = (ins: CudaHandle[], shape: number[], a: number, dimsOf: (h: CudaHandle) => number[]) => {
  const ost = stridesOf(shape);
  let off = 0;
  return ins.map((h, i) => {
    const dims = dimsOf(h);
    const c = { out: 0, src: i, dims, ss: stridesOf(dims), ds: ost, sbase: 0, dbase: off * ost[a] };
    off += dims[a];
    return c;
  });
};

// Unstacking and splitting: each output is a slab of the input.
const pieces = (x: CudaHandle, src: number, shapes: number[][], a: number, dimsOf: (s: number[]) => number[], sizeOf_: (s: number[]) => number) => {
  const st = stridesOf(x.shape);
  let off = 0;
  return shapes.map((s, k) => {
    const dims = dimsOf(s);
    const c = { out: k, src, dims, ss: st, ds: stridesOf(dims), sbase: off * st[a], dbase: 0 };
    off += sizeOf_(s);
    return c;
  });
};

export const movementKernels: CudaKernelTable = {
  Identity: relabel("Identity", []),
  StopGradient: relabel("StopGradient", []),
  Reshape: relabel("Reshape", [1]),
  ExpandDims: relabel("ExpandDims", [1]),
  Squeeze: relabel("Squeeze", []),
  Transpose: movement("Transpose", [1], (b, [x, p], _a, [shape]) => {
    return { copies: [{ out: 0, src: 0, dims: shape, ss: permutedStrides(x.shape, hostInts(b, p)), ds: stridesOf(shape), sbase: 0, dbase: 0 }] };
  }),
  BroadcastTo: movement("BroadcastTo", [1], (_b, [x], _a, [shape]) => {
    const r = shape.length;
    const padded = [...new Array(r - x.shape.length).fill(1), ...x.shape];
    const st = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st, ds: stridesOf(shape), sbase: 0, dbase: 0 }] };
  }),
  Slice: movement("Slice", [1, 2], (b, [x, bg], _a, [shape]) => {
    const begin = hostInts(b, bg);
    const st = stridesOf(x.shape);
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st, ds: stridesOf(shape), sbase: begin.reduce((o, v, d) => o + v * st[d], 0), dbase: 0 }] };
  }),
  ReverseV2: movement("ReverseV2", [1], (b, [x, ax], _a, [shape]) => {
    const r = x.shape.length;
    const axes = new Set(hostInts(b, ax).map((a) => norm(a, r)));
    const st = stridesOf(x.shape);
    const sbase = [...axes].reduce((o, d) => o + (x.shape[d] - 1) * st[d], 0);
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st.map((s, d) => (axes.has(d) ? -s : s)), ds: stridesOf(shape), sbase, dbase: 0 }] };
  }),
  ConcatV2: {
    supports: (d) => d.slice(0, -1).every((x) => STORED.has(x)),
    run: (b, ins, attrs) => {
      const vals = ins.slice(0, -1);
      const shapes = inferShapes(b, "ConcatV2", ins, attrs, [ins.length - 1]);
      if (!shapes) return null;
      const shape = shapes[0];
      const a = norm(hostInts(b, ins[ins.length - 1])[0], shape.length);
      const out = b.empty(vals[0].dtype, shape, "ConcatV2");
      for (const c of slabs(vals, shape, a, (h) => h.shape.slice())) {
        if (!stridedCopy(b, vals[c.src], out, c.dims, c.ss, c.ds, c.sbase, c.dbase)) {
          b.dispose(out);
          return null;
        }
      }
      return [out];
    },
  },
  Pack: movement("Pack", [], (_b, ins, attrs, [shape]) => {
    const a = norm(attrs.axis as number, shape.length);
    return { copies: slabs(ins, shape, a, (h) => [...h.shape.slice(0, a), 1, ...h.shape.slice(a)]) };
  }),
  Unpack: movement("Unpack", [], (_b, [x], attrs, shapes) => {
    const a = norm(attrs.axis as number, x.shape.length);
    return {
      copies: pieces(
        x,
        0,
        shapes,
        a,
        (s) => [...s.slice(0, a), 1, ...s.slice(a)],
        () => 1,
      ),
    };
  }),
  Split: movement("Split", [0], (b, [dim, x], _attrs, shapes) => {
    const a = norm(hostInts(b, dim)[0], x.shape.length);
    return {
      copies: pieces(
        x,
        1,
        shapes,
        a,
        (s) => s,
        (s) => s[a],
      ),
    };
  }),
  SplitV: movement("SplitV", [1, 2], (b, [x, , dim], _attrs, shapes) => {
    const a = norm(hostInts(b, dim)[0], x.shape.length);
    return {
      copies: pieces(
        x,
        0,
        shapes,
        a,
        (s) => s,
        (s) => s[a],
      ),
    };
  }),
  GatherV2: {
    host: [2],
    // batch_dims > 0 runs on the CPU kernel.
    supports: (d, attrs) => STORED.has(d[0]) && (d[1] === "int32" || d[1] === "int64") && ((attrs.batch_dims as number | undefined) ?? 0) === 0,
    attrKey: (attrs) => String(attrs.batch_dims ?? 0),
    run: (b, ins, attrs) => {
      const [params, indices] = ins;
      const shapes = inferShapes(b, "GatherV2", ins, attrs, [2]);
      if (!shapes) return null;
      const rank = params.shape.length;
      const axisValue = Number((b.hostValues(ins[2]) as ArrayLike<number | bigint>)[0]);
      const a = axisValue < 0 ? axisValue + rank : axisValue;
      const outer = sizeOf(params.shape.slice(0, a));
      const n = params.shape[a];
      const inner = sizeOf(params.shape.slice(a + 1));
      const nJ = sizeOf(indices.shape);
      // Eagerly and in uncaptured steps the indices are checked on the host, as the CPU kernel does; a captured
      // step cannot read them, and there an out-of-range index gives zeros (TensorFlow's GPU behaviour).
      if (!b.capturing) {
        const idx = b.hostValues(indices) as ArrayLike<number | bigint>;
        for (let k = 0; k < idx.length; k++) {
          const v = Number(idx[k]);
          if (v < 0 || v >= n)
            throw new InvalidArgumentError(
              `GatherV2: indices[${indexStr(indices.shape, k)}] = ${v} is not in [0, ${n}) (params shape ${shapeStr(params.shape as number[])}, axis ${a})`,
            );
        }
      }
      const out = b.empty(params.dtype, shapes[0], "GatherV2");
      if (outer * nJ * inner === 0) return [out];
      // Rows move in the widest unit that divides them and both addresses (a Keras batch of 28x28 images:
      // 196 16-byte loads per row instead of 784 4-byte ones).
      const rowBytes = inner * bytesPerElement(params.dtype);
      const unit = [16, 8, 4, 2, 1].find((u) => rowBytes % u === 0 && Number(params.ptr) % u === 0 && Number(out.ptr) % u === 0) ?? 1;
      const units = rowBytes / unit;
      const total = outer * nJ * units;
      const i64 = idx64(Math.max(total, outer * n * units));
      const fn = b.fn(`gather.${unit}.${indices.dtype}.${i64 ? 64 : 32}`, "gather", () => gatherSource(unit, indices.dtype, i64));
      b.ctx.argPtr(params.ptr).argPtr(indices.ptr).argPtr(out.ptr);
      argI(b, i64, total);
      argI(b, i64, nJ);
      argI(b, i64, n);
      argI(b, i64, units);
      b.launch(fn, b.grid(total));
      return [out];
    },
  },
  GatherTableRow: {
    host: [],
    supports: (d) => d[0] === "int32" && d[1] === "int32" && d.slice(2).every((t) => STORED.has(t)),
    run: (b, ins) => {
      const [table, row, ...params] = ins;
      const [rows, batch] = table.shape;
      if (table.shape.length !== 2 || row.shape.length !== 0 || params.some((p) => p.shape.length === 0)) return null;
      // A row or entry out of range gives zeros, as TensorFlow's GPU gathers do: fit builds the table from a
      // permutation of the rows, and reading the row back would stall every step.
      const outs = params.map((p) => b.empty(p.dtype, [batch, ...p.shape.slice(1)], "GatherTableRow"));
      const rowBytes = params.map((p) => sizeOf(p.shape.slice(1)) * bytesPerElement(p.dtype));
      // Each array's unit: the widest that divides its row and both addresses (a Keras batch of 28x28 float32
      // images: 16 bytes; its 10 one-hot floats: 8).
      const widths = params.map((p, k) => [16, 8, 4, 2, 1].find((u) => rowBytes[k] % u === 0 && Number(p.ptr) % u === 0 && Number(outs[k].ptr) % u === 0) ?? 1);
      const units = rowBytes.map((r, k) => r / widths[k]);
      const i64 = idx64(Math.max(batch * units.reduce((x, y) => x + y, 0), ...params.map((p, k) => p.shape[0] * units[k])));
      const fn = b.fn(`table_gather.${i64 ? 64 : 32}`, "table_gather", () => tableGatherSource(i64));
      launchGroups(
        params.map((_, k) => k),
        TABLE_GATHER,
        (k) => [params[k].ptr, outs[k].ptr, params[k].shape[0], Math.max(units[k], 1), widths[k]],
        (k) => batch * units[k],
        (count, words, total) => {
          b.ctx.argPtr(table.ptr).argPtr(row.ptr).argI64(rows).argI64(batch).argI32(count).argI64s(words);
          b.launch(fn, b.grid(total));
        },
      );
      return outs;
    },
  },
  // float16 and bfloat16 sum in float32 (widen.ts): atomic adds of 2-byte values would round at every add.
  UnsortedSegmentSum: viaFloat32(
    {
      host: [2],
      supports: (d) => (d[0] === "float32" || d[0] === "float64") && (d[1] === "int32" || d[1] === "int64"),
      run: (b, ins, attrs) => {
        const [data, ids] = ins;
        const shapes = inferShapes(b, "UnsortedSegmentSum", ins, attrs, [2]);
        if (!shapes) return null;
        const shape = shapes[0];
        const inner = sizeOf(data.shape.slice(ids.shape.length));
        const numSegments = shape[0];
        // As for GatherV2: ids are checked on the host except inside a captured step (there an id past the end is dropped).
        if (!b.capturing) {
          const idv = b.hostValues(ids) as ArrayLike<number | bigint>;
          for (let k = 0; k < idv.length; k++) {
            const v = Number(idv[k]);
            if (v >= numSegments)
              throw new InvalidArgumentError(`UnsortedSegmentSum: segment_ids[${indexStr(ids.shape, k)}] = ${v} is out of range [0, ${numSegments})`);
          }
        }
        const out = b.empty(data.dtype, shape, "UnsortedSegmentSum");
        if (out.storage.bytes > 0) b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
        const total = sizeOf(data.shape);
        if (total === 0) return [out];
        const i64 = idx64(Math.max(total, sizeOf(shape)));
        const fn = b.fn(`segsum.${data.dtype}.${ids.dtype}.${i64 ? 64 : 32}`, "segment_sum", () => segmentSumSource(data.dtype, ids.dtype, i64));
        b.ctx.argPtr(data.ptr).argPtr(ids.ptr).argPtr(out.ptr);
        argI(b, i64, total);
        argI(b, i64, Math.max(inner, 1));
        argI(b, i64, numSegments);
        b.launch(fn, b.grid(total));
        return [out];
      },
    },
    [0],
  ),
  OneHot: {
    host: [1],
    supports: (d) => (d[0] === "int32" || d[0] === "int64" || d[0] === "uint8") && STORED.has(d[2]) && d[3] === d[2],
    run: (b, ins, attrs) => {
      const [x, , on, off] = ins;
      const shapes = inferShapes(b, "OneHot", ins, attrs, [1]);
      if (!shapes || sizeOf(on.shape) !== 1 || sizeOf(off.shape) !== 1) return null;
      const shape = shapes[0];
      const axis = attrs.axis as number;
      const a = axis === -1 ? x.shape.length : axis;
      const depth = shape[a];
      const inner = sizeOf(x.shape.slice(a));
      const n = sizeOf(shape);
      const out = b.empty(on.dtype, shape, "OneHot");
      if (n === 0) return [out];
      const i64 = idx64(n);
      const fn = b.fn(`onehot.${on.dtype}.${x.dtype}.${i64 ? 64 : 32}`, "one_hot", () => oneHotSource(on.dtype, x.dtype, i64));
      b.ctx.argPtr(x.ptr).argPtr(on.ptr).argPtr(off.ptr).argPtr(out.ptr);
      argI(b, i64, n);
      argI(b, i64, depth);
      argI(b, i64, Math.max(inner, 1));
      b.launch(fn, b.grid(n));
      return [out];
    },
  },
};
