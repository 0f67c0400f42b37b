import { Code, forUp, type FuncDef, I32, loadFields, min, Simd, V128 } from "./encoder.js";

/**
 * Direct float32 convolutions in WebAssembly SIMD: the im2col product computed without building the patch
 * matrix. The input is zero-padded channels-last images in the memory; each output position q of an image
 * has the byte offset of its window's first tap in a table (QTAB), and each column k = (kh, kw, c) of the
 * implicit patch matrix has the byte offset of its tap relative to that (KTAB). So every stride, dilation
 * and padding is the same loop, and the patch element (q, k) is one load at image + QTAB[q] + KTAB[k].
 *
 *  - conv_fwd_f32: out[q, oc] = Σ_k patch(q, k)·W[k, oc], in register tiles of 4 output positions by 8
 *    output channels (8 accumulators): per k, two weight vectors and four splatted patch elements; a bias
 *    and a Relu can be applied as the tiles are stored (a Session's Conv2D + BiasAdd + Relu).
 *  - conv_filter_f32: dW[k, oc] += Σ_q patch(q, k)·dY[q, oc], tiles of 4 patch columns by 8 channels,
 *    summed over the chunk's positions into the calling thread's partial dW (the caller adds the threads'
 *    partials: every chunk of positions adds to whichever thread ran it).
 *
 * Weights are packed as [nb][K][8] (nb = ceil(outC / 8) blocks of eight channels, zero-padded); the
 * partial dW has the same layout with K rounded up to whole tiles of 4. Output rows are outC floats (the
 * last block's tile stores only its real channels); reading dY a block of 8 at a time reads up to 7
 * floats past its end, which the caller leaves room for. Both kernels take a descriptor (CONV_DESC) and the
 * thread's scratch area, as the gemm kernels do, so the same worker pool runs them.
 */

/** Word offsets of a convolution descriptor (i32 words; pointers are byte offsets into the memory). */
export const CONV_DESC = {
  /** Padded input images. */
  x: 0,
  /** Packed weights (forward) [nb][K][8]. */
  w: 1,
  /** Output [images, outHW, outC] (forward), or dY (filter gradient). */
  y: 2,
  /** i32 [outHW]: byte offset in a padded image of each output position's first tap. */
  qtab: 3,
  /** i32 [K]: byte offset of each patch column's tap from the first. */
  ktab: 4,
  k: 5,
  outC: 6,
  nb: 7,
  outHW: 8,
  /** Bytes per padded input image. */
  imgBytes: 9,
  /** The chunk: images [b0, b1), output positions [q0, q1) of each. */
  b0: 10,
  b1: 11,
  q0: 12,
  q1: 13,
  /** Forward pass: patch columns per run (k then counts runs; KTAB holds each run's tap offset). */
  runLen: 14,
  /** Forward pass: the bias (nb·8 floats, zero-padded) added in the stores, or 0 for none. */
  bias: 15,
  /** Forward pass: non-zero to apply a Relu after the bias. */
  relu: 16,
} as const;
export const CONV_DESC_BYTES = 128;

const MR = 4;
const NV = 2;
/** Channels per block (NV vectors of four). */
export const CONV_BLOCK = NV * 4;
/** Patch columns per filter-gradient tile (rows of the partial dW). */
export const CONV_KTILE = MR;

function loadDesc(c: Code, desc: number): Record<keyof typeof CONV_DESC, number> {
  return loadFields(c, desc, CONV_DESC);
}

/**
 * For each image b of the call's range [b0, b1): `xb` addresses its input and `yb` its rows of the output (or
 * of the output's gradient), `rowBytes` long per position; then `body`.
 */
function forImages(c: Code, f: Record<keyof typeof CONV_DESC, number>, b: number, rowBytes: number, xb: number, yb: number, body: () => void): void {
  forUp(
    c,
    b,
    () => c.get(f.b0),
    () => c.get(f.b1),
    1,
    () => {
      c.get(b).get(f.imgBytes).i32Mul().get(f.x).i32Add().set(xb);
      c.get(b).get(f.outHW).i32Mul().get(rowBytes).i32Mul().get(f.y).i32Add().set(yb);
      body();
    },
  );
}

/** acc += s·w as mul then add, or relaxed SIMD's multiply-add. */
function madd(c: Code, acc: number, s: number, w: number, relaxed: boolean): void {
  if (relaxed) c.get(s).get(w).get(acc).simd(Simd.F32x4RelaxedMadd).set(acc);
  else c.get(acc).get(s).get(w).simd(Simd.F32x4Mul).simd(Simd.F32x4Add).set(acc);
}

/**
 * Stores the first `cols` (1..7) lanes of the eight-float row v0:v1 at the address in local ptr: the
 * tiles' last block when the channel count is not a multiple of 8. Inline (a call taking vectors measured
 * ~10x slower than the stores themselves).
 */
function storeCols(c: Code, ptr: number, v0: number, v1: number, cols: number): void {
  /** The first n (1..4) lanes of v at ptr + offset. */
  const part = (v: number, n: number, offset: number) => {
    if (n === 4) c.get(ptr).get(v).store(offset);
    else if (n >= 2) c.get(ptr).get(v).storeLane(Simd.Store64Lane, 0, offset);
    if (n === 1 || n === 3)
      c.get(ptr)
        .get(v)
        .storeLane(Simd.Store32Lane, n - 1, offset + 4 * (n - 1));
  };
  // Four lanes or more: the first vector whole, then the rest of the second.
  c.get(cols).i32(4).i32GeS().if();
  part(v0, 4, 0);
  for (let n = 5; n < 8; n++) {
    c.get(cols).i32(n).i32Sub().i32Eqz().if();
    part(v1, n - 4, 16);
    c.end();
  }
  c.else();
  for (let n = 1; n < 4; n++) {
    c.get(cols).i32(n).i32Sub().i32Eqz().if();
    part(v0, n, 0);
    c.end();
  }
  c.end();
}

/**
 * conv_fwd_f32(desc, scratch, unused). The patch columns come in runs of runLen that are contiguous in the
 * image (one filter row of kW·C columns when the columns are not dilated, one tap's C otherwise; KTAB holds
 * each run's offset), so within a run the four positions' elements are read through four pointers bumped
 * by one float per column, with no table lookup per column. (Unrolling the column loop by 2, 4 or 8 with
 * constant load offsets measured slower, 25 -> 19, 16, 13 GFLOP/s on LeNet's second convolution.)
 */
function convForward(relaxed: boolean): Code {
  const c = new Code([I32, I32, I32]);
  const f = loadDesc(c, 0);
  const b = c.local(I32);
  const blk = c.local(I32);
  const q = c.local(I32);
  const xb = c.local(I32);
  const ob = c.local(I32);
  const wb = c.local(I32);
  const cols = c.local(I32);
  const last = c.local(I32);
  const kp = c.local(I32);
  const kEnd = c.local(I32);
  const wp = c.local(I32);
  const ko = c.local(I32);
  const rowBytes = c.local(I32);
  const row = c.local(I32);
  const kBlockBytes = c.local(I32);
  const j = c.local(I32);
  const base = Array.from({ length: MR }, () => c.local(I32));
  const ptr = Array.from({ length: MR }, () => c.local(I32));
  const dst = Array.from({ length: MR }, () => c.local(I32));
  const acc = Array.from({ length: MR * NV }, () => c.local(V128));
  const wv = Array.from({ length: NV }, () => c.local(V128));
  const sv = c.local(V128);
  c.get(f.outC).i32(4).i32Mul().set(rowBytes);
  c.get(f.q1).i32(1).i32Sub().set(last);
  c.get(f.ktab).get(f.k).i32(4).i32Mul().i32Add().set(kEnd);
  // Weights per block: runs·runLen rows of 8.
  c.get(f.k)
    .get(f.runLen)
    .i32Mul()
    .i32(CONV_BLOCK * 4)
    .i32Mul()
    .set(kBlockBytes);
  /** One patch column: the weights' row at wp, the positions' elements at the pointers. */
  const step = () => {
    for (let v = 0; v < NV; v++)
      c.get(wp)
        .load(16 * v)
        .set(wv[v]);
    for (let r = 0; r < MR; r++) {
      c.get(ptr[r]).loadSplat(Simd.Load32Splat).set(sv);
      for (let v = 0; v < NV; v++) madd(c, acc[r * NV + v], sv, wv[v], relaxed);
    }
  };
  forImages(c, f, b, rowBytes, xb, ob, () => {
    forUp(
      c,
      blk,
      () => c.i32(0),
      () => c.get(f.nb),
      1,
      () => {
        c.get(blk).get(kBlockBytes).i32Mul().get(f.w).i32Add().set(wb);
        c.get(f.outC).get(blk).i32(CONV_BLOCK).i32Mul().i32Sub().set(cols);
        forUp(
          c,
          q,
          () => c.get(f.q0),
          () => c.get(f.q1),
          MR,
          () => {
            // The tile's positions (the last clamped: a short tile recomputes and rewrites it).
            for (let r = 0; r < MR; r++) {
              c.get(q).i32(r).i32Add().set(row);
              min(c, row, last).set(row);
              c.get(row).i32(4).i32Mul().get(f.qtab).i32Add().i32Load().get(xb).i32Add().set(base[r]);
              c.get(row)
                .get(rowBytes)
                .i32Mul()
                .get(ob)
                .i32Add()
                .get(blk)
                .i32(CONV_BLOCK * 4)
                .i32Mul()
                .i32Add()
                .set(dst[r]);
            }
            c.f32x4Const(0).set(acc[0]);
            for (let i = 1; i < MR * NV; i++) c.get(acc[0]).set(acc[i]);
            c.get(f.ktab).set(kp);
            c.get(wb).set(wp);
            c.loop();
            c.get(kp).i32Load().set(ko);
            for (let r = 0; r < MR; r++) c.get(base[r]).get(ko).i32Add().set(ptr[r]);
            c.i32(0).set(j);
            c.loop();
            step();
            for (let r = 0; r < MR; r++) c.addTo(ptr[r], 4);
            c.addTo(wp, CONV_BLOCK * 4);
            c.addTo(j, 1);
            c.get(j).get(f.runLen).i32LtU().brIf(0);
            c.end();
            c.addTo(kp, 4);
            c.get(kp).get(kEnd).i32LtU().brIf(0);
            c.end();
            // The epilogue: + bias, then Relu as the Relu kernel computes it (x < 0 ? 0 : x, NaN kept).
            c.get(f.bias).if();
            for (let v = 0; v < NV; v++)
              c.get(blk)
                .i32(CONV_BLOCK * 4)
                .i32Mul()
                .get(f.bias)
                .i32Add()
                .load(16 * v)
                .set(wv[v]);
            for (let r = 0; r < MR; r++)
              for (let v = 0; v < NV; v++)
                c.get(acc[r * NV + v])
                  .get(wv[v])
                  .simd(Simd.F32x4Add)
                  .set(acc[r * NV + v]);
            c.end();
            c.get(f.relu).if();
            c.f32x4Const(0).set(sv);
            for (let r = 0; r < MR; r++) {
              for (let v = 0; v < NV; v++) {
                const a = acc[r * NV + v];
                c.get(sv).get(a).get(a).get(sv).simd(Simd.F32x4Lt).simd(Simd.Bitselect).set(a);
              }
            }
            c.end();
            // Store: whole blocks directly, the last partial block lane by lane.
            c.get(cols).i32(CONV_BLOCK).i32GeS().if();
            for (let r = 0; r < MR; r++)
              for (let v = 0; v < NV; v++)
                c.get(dst[r])
                  .get(acc[r * NV + v])
                  .store(16 * v);
            c.else();
            for (let r = 0; r < MR; r++) storeCols(c, dst[r], acc[r * NV], acc[r * NV + 1], cols);
            c.end();
          },
        );
      },
    );
  });
  return c;
}

/** conv_filter_f32(desc, partial, unused): partial [nb][Kp][8] += this chunk's filter gradient. */
function convFilter(relaxed: boolean): Code {
  const c = new Code([I32, I32, I32]);
  const partial = 1;
  const f = loadDesc(c, 0);
  const b = c.local(I32);
  const blk = c.local(I32);
  const kt = c.local(I32);
  const xb = c.local(I32);
  const dyb = c.local(I32);
  const kLast = c.local(I32);
  const kp4 = c.local(I32);
  const pp = c.local(I32);
  const qp = c.local(I32);
  const qEnd = c.local(I32);
  const dp = c.local(I32);
  const px = c.local(I32);
  const rowBytes = c.local(I32);
  const row = c.local(I32);
  const koff = Array.from({ length: MR }, () => c.local(I32));
  const acc = Array.from({ length: MR * NV }, () => c.local(V128));
  const dv = Array.from({ length: NV }, () => c.local(V128));
  const sv = c.local(V128);
  c.get(f.outC).i32(4).i32Mul().set(rowBytes);
  c.get(f.k).i32(1).i32Sub().set(kLast);
  // Kp = K rounded up to whole tiles.
  c.get(f.k)
    .i32(MR - 1)
    .i32Add()
    .i32(-MR)
    .i32And()
    .set(kp4);
  forImages(c, f, b, rowBytes, xb, dyb, () => {
    forUp(
      c,
      blk,
      () => c.i32(0),
      () => c.get(f.nb),
      1,
      () => {
        forUp(
          c,
          kt,
          () => c.i32(0),
          () => c.get(f.k),
          MR,
          () => {
            for (let r = 0; r < MR; r++) {
              c.get(kt).i32(r).i32Add().set(row);
              min(c, row, kLast).i32(4).i32Mul().get(f.ktab).i32Add().i32Load().get(xb).i32Add().set(koff[r]);
            }
            // The tile's rows of the partial: (blk·Kp + kt + r)·8 floats.
            c.get(blk)
              .get(kp4)
              .i32Mul()
              .get(kt)
              .i32Add()
              .i32(CONV_BLOCK * 4)
              .i32Mul()
              .get(partial)
              .i32Add()
              .set(pp);
            for (let r = 0; r < MR; r++)
              for (let v = 0; v < NV; v++)
                c.get(pp)
                  .load((r * CONV_BLOCK + 4 * v) * 4)
                  .set(acc[r * NV + v]);
            c.get(f.q0).i32(4).i32Mul().get(f.qtab).i32Add().set(qp);
            c.get(f.q1).i32(4).i32Mul().get(f.qtab).i32Add().set(qEnd);
            c.get(f.q0)
              .get(rowBytes)
              .i32Mul()
              .get(dyb)
              .i32Add()
              .get(blk)
              .i32(CONV_BLOCK * 4)
              .i32Mul()
              .i32Add()
              .set(dp);
            c.block();
            c.get(qp).get(qEnd).i32GeS().brIf(0);
            c.loop();
            c.get(qp).i32Load().set(px);
            for (let v = 0; v < NV; v++)
              c.get(dp)
                .load(16 * v)
                .set(dv[v]);
            for (let r = 0; r < MR; r++) {
              c.get(koff[r]).get(px).i32Add().loadSplat(Simd.Load32Splat).set(sv);
              for (let v = 0; v < NV; v++) madd(c, acc[r * NV + v], sv, dv[v], relaxed);
            }
            c.addTo(qp, 4);
            c.addLocal(dp, rowBytes);
            c.get(qp).get(qEnd).i32LtU().brIf(0);
            c.end();
            c.end();
            for (let r = 0; r < MR; r++)
              for (let v = 0; v < NV; v++)
                c.get(pp)
                  .get(acc[r * NV + v])
                  .store((r * CONV_BLOCK + 4 * v) * 4);
          },
        );
      },
    );
  });
  return c;
}

/**
 * conv_input_f32(desc, scratch, unused): the input gradient, scattered. dX (the padded images at x, zero on
 * entry) gets, for every output position q and patch column k, dY[q, :]·W[k, :]. The patch columns are
 * taken in blocks of up to 8 that are contiguous in the image (KTAB holds each block's tap offset and width;
 * weights are packed per block as [outC][8]), so a tile of 4 positions by one block is 8 accumulators summed
 * over outC, then added into dX with vector loads and stores. Positions of one image overlap, so a chunk
 * must hold whole images (the caller never splits an image between threads).
 */
function convInput(relaxed: boolean): Code {
  const c = new Code([I32, I32, I32]);
  const f = loadDesc(c, 0);
  const b = c.local(I32);
  const kb = c.local(I32);
  const q = c.local(I32);
  const xb = c.local(I32);
  const dyb = c.local(I32);
  const wb = c.local(I32);
  const off = c.local(I32);
  const cols = c.local(I32);
  const last = c.local(I32);
  const rowBytes = c.local(I32);
  const row = c.local(I32);
  const o = c.local(I32);
  const wp = c.local(I32);
  const dyp = Array.from({ length: MR }, () => c.local(I32));
  const dst = Array.from({ length: MR }, () => c.local(I32));
  const acc = Array.from({ length: MR * NV }, () => c.local(V128));
  const wv = Array.from({ length: NV }, () => c.local(V128));
  const sv = c.local(V128);
  c.get(f.outC).i32(4).i32Mul().set(rowBytes);
  c.get(f.q1).i32(1).i32Sub().set(last);
  forImages(c, f, b, rowBytes, xb, dyb, () => {
    forUp(
      c,
      kb,
      () => c.i32(0),
      () => c.get(f.k),
      1,
      () => {
        c.get(kb).i32(8).i32Mul().get(f.ktab).i32Add().i32Load().get(xb).i32Add().set(off);
        c.get(kb).i32(8).i32Mul().get(f.ktab).i32Add().i32Load(4).set(cols);
        c.get(kb).get(rowBytes).i32Mul().i32(CONV_BLOCK).i32Mul().get(f.w).i32Add().set(wb);
        forUp(
          c,
          q,
          () => c.get(f.q0),
          () => c.get(f.q1),
          MR,
          () => {
            for (let r = 0; r < MR; r++) {
              c.get(q).i32(r).i32Add().set(row);
              min(c, row, last).set(row);
              c.get(row).get(rowBytes).i32Mul().get(dyb).i32Add().set(dyp[r]);
              c.get(row).i32(4).i32Mul().get(f.qtab).i32Add().i32Load().get(off).i32Add().set(dst[r]);
            }
            c.f32x4Const(0).set(acc[0]);
            for (let i = 1; i < MR * NV; i++) c.get(acc[0]).set(acc[i]);
            c.i32(0).set(o);
            c.get(wb).set(wp);
            c.loop();
            for (let v = 0; v < NV; v++)
              c.get(wp)
                .load(16 * v)
                .set(wv[v]);
            for (let r = 0; r < MR; r++) {
              c.get(dyp[r]).get(o).i32Add().loadSplat(Simd.Load32Splat).set(sv);
              for (let v = 0; v < NV; v++) madd(c, acc[r * NV + v], sv, wv[v], relaxed);
            }
            c.addTo(o, 4);
            c.addTo(wp, CONV_BLOCK * 4);
            c.get(o).get(rowBytes).i32LtU().brIf(0);
            c.end();
            // Add into dX, row by row (windows overlap); a clamped repeat of the last position is skipped.
            for (let r = 0; r < MR; r++) {
              if (r > 0) c.get(q).i32(r).i32Add().get(last).i32GtS().i32Eqz().if();
              for (let v = 0; v < NV; v++)
                c.get(dst[r])
                  .load(16 * v)
                  .get(acc[r * NV + v])
                  .simd(Simd.F32x4Add)
                  .set(acc[r * NV + v]);
              c.get(cols).i32(CONV_BLOCK).i32GeS().if();
              for (let v = 0; v < NV; v++)
                c.get(dst[r])
                  .get(acc[r * NV + v])
                  .store(16 * v);
              c.else();
              storeCols(c, dst[r], acc[r * NV], acc[r * NV + 1], cols);
              c.end();
              if (r > 0) c.end();
            }
          },
        );
      },
    );
  });
  return c;
}

/** The convolution functions, for a module's export list. */
export function convFunctions(relaxed: boolean): FuncDef[] {
  return [
    { name: "conv_fwd_f32", code: convForward(relaxed) },
    { name: "conv_input_f32", code: convInput(relaxed) },
    { name: "conv_filter_f32", code: convFilter(relaxed) },
  ];
}
