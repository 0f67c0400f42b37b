import { convFunctions } from "./conv_kernels.js";
import { Code, encodeModule, forUp, type FuncDef, I32, loadFields, min, type SharedMemoryLimits, Simd, type SimdOp, V128 } from "./encoder.js";

/**
 * The matrix-product kernels in WebAssembly SIMD, generated at run time (no toolchain at install): the
 * classic blocked GEMM (Goto's loop order). For each nc-wide column block of C and each kc-deep slice of
 * k, B's block is packed into NR-column micro-panels; for each mc-tall row block, A's block is packed into
 * MR-row micro-panels; then a register-blocked micro-kernel computes each MR x NR tile of C with MR·NR/lanes
 * vector accumulators, streaming one packed column of A (splatted) and one packed row of B per step of k.
 *
 * C is a padded buffer (whole MR x NR tiles: rows a multiple of MR, a row stride a multiple of NR), so the
 * micro-kernel has no edge cases; the packing routines clamp indices past the edge of A and B to the last
 * row/column (the padded rows and columns of C then hold junk that the caller never reads back).
 *
 * All pointers are byte offsets into the imported memory; leading dimensions (lda, ldb, ldc) count elements.
 * One module holds the float32 and float64 versions (`gemm_f32`, `gemm_f64`); each takes a descriptor (see
 * DESC) and two scratch regions of its thread (packed A, packed B) and computes a whole product on one
 * thread. Threads share a product through `gemm_task_f32` / `gemm_task_f64`: each task is one part of it
 * (a range of A's or B's panels packed into buffers that every thread reads, or one block of C's tiles over
 * the whole of k), described in the memory (TASK), so that the worker pool runs a product as phases of
 * such tasks.
 */

/** Word offsets of a gemm descriptor (i32 words). */
export const DESC = {
  a: 0,
  lda: 1,
  transA: 2,
  b: 3,
  ldb: 4,
  transB: 5,
  c: 6,
  ldc: 7,
  m: 8,
  n: 9,
  k: 10,
  /** Non-zero: C += A·B (C is read); zero: C = A·B. */
  accumulate: 11,
  mc: 12,
  kc: 13,
  nc: 14,
} as const;
export const DESC_BYTES = 64;

/**
 * A task of a product shared by threads (its descriptor is DESC_BYTES long; word 0 is its kind):
 *  - packA, packB: the part's arguments in order, words 1..6 (src, ld, trans, rows or kc, kc or cols, dst);
 *  - block: a block of C's tiles over the whole of k, from operands packed slice by slice (see BLOCK).
 */
export const TASK = { packA: 0, packB: 1, block: 2 } as const;

/**
 * Word offsets of a block task. Slice s of k (kc deep, the last one kcur) has its packed A at
 * packedA + s·kc·aSlice, its packed B at packedB + s·kc·bSlice; the block's panels start kcur·aRow and
 * kcur·bCol bytes into those (aRow = the block's first row·eb, bCol = its first column·eb).
 */
export const BLOCK = {
  packedA: 1,
  aSlice: 2,
  aRow: 3,
  packedB: 4,
  bSlice: 5,
  bCol: 6,
  mc: 7,
  nc: 8,
  k: 9,
  kc: 10,
  c: 11,
  ldc: 12,
  accumulate: 13,
} as const;

/** The register tile: MR rows by NV vectors of columns. */
export interface GemmTile {
  mr: number;
  nv: number;
}

interface ElemType {
  name: "f32" | "f64";
  bytes: number;
  lanes: number;
  splat: typeof Simd.Load32Splat | typeof Simd.Load64Splat;
  mul: SimdOp;
  add: SimdOp;
  madd: SimdOp;
  load(c: Code, offset?: number): Code;
  store(c: Code, offset?: number): Code;
}

const F32T: ElemType = {
  name: "f32",
  bytes: 4,
  lanes: 4,
  splat: Simd.Load32Splat,
  mul: Simd.F32x4Mul,
  add: Simd.F32x4Add,
  madd: Simd.F32x4RelaxedMadd,
  load: (c, o) => c.f32Load(o),
  store: (c, o) => c.f32Store(o),
};
const F64T: ElemType = {
  name: "f64",
  bytes: 8,
  lanes: 2,
  splat: Simd.Load64Splat,
  mul: Simd.F64x2Mul,
  add: Simd.F64x2Add,
  madd: Simd.F64x2RelaxedMadd,
  load: (c, o) => c.f64Load(o),
  store: (c, o) => c.f64Store(o),
};

/** Pushes a ? x : y for locals (i32). */
function choose(c: Code, cond: number, x: () => void, y: () => void): Code {
  x();
  y();
  return c.get(cond).select();
}

/**
 * packA(src, lda, trans, rows, kc, dst): rows x kc of A (src: its first element; A(i, p) at
 * src + (trans ? p·lda + i : i·lda + p) elements) into MR-row panels: dst[(panel·kc + p)·MR + r].
 */
function packA(t: ElemType, tile: GemmTile): Code {
  const MR = tile.mr;
  const eb = t.bytes;
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [src, lda, trans, rows, kc, dst] = [0, 1, 2, 3, 4, 5];
  const rs = c.local(I32); // bytes to the next row i
  const cs = c.local(I32); // bytes to the next p
  const i0 = c.local(I32);
  const p = c.local(I32);
  const last = c.local(I32);
  const row = c.local(I32);
  const rb = Array.from({ length: MR }, () => c.local(I32));
  choose(
    c,
    trans,
    () => c.i32(eb),
    () => c.get(lda).i32(eb).i32Mul(),
  ).set(rs);
  choose(
    c,
    trans,
    () => c.get(lda).i32(eb).i32Mul(),
    () => c.i32(eb),
  ).set(cs);
  c.get(rows).i32(1).i32Sub().set(last);
  forUp(
    c,
    i0,
    () => c.i32(0),
    () => c.get(rows),
    MR,
    () => {
      for (let r = 0; r < MR; r++) {
        c.get(i0).i32(r).i32Add().set(row);
        min(c, row, last).get(rs).i32Mul().get(src).i32Add().set(rb[r]);
      }
      forUp(
        c,
        p,
        () => c.i32(0),
        () => c.get(kc),
        1,
        () => {
          for (let r = 0; r < MR; r++) {
            c.get(dst);
            t.load(c.get(rb[r]));
            t.store(c, r * eb);
            c.addLocal(rb[r], cs);
          }
          c.addTo(dst, MR * eb);
        },
      );
    },
  );
  return c;
}

/**
 * packB(src, ldb, trans, kc, cols, dst): kc x cols of B (B(p, j) at src + (trans ? j·ldb + p : p·ldb + j)
 * elements) into NR-column panels: dst[(panel·kc + p)·NR + j]. Whole panels of an untransposed B are
 * copied a vector at a time.
 */
function packB(t: ElemType, tile: GemmTile): Code {
  const NR = tile.nv * t.lanes;
  const eb = t.bytes;
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [src, ldb, trans, kc, cols, dst] = [0, 1, 2, 3, 4, 5];
  const rs = c.local(I32); // bytes to the next p
  const cs = c.local(I32); // bytes to the next column j
  const j0 = c.local(I32);
  const p = c.local(I32);
  const last = c.local(I32);
  const col = c.local(I32);
  const a = c.local(I32);
  const cb = Array.from({ length: NR }, () => c.local(I32));
  choose(
    c,
    trans,
    () => c.i32(eb),
    () => c.get(ldb).i32(eb).i32Mul(),
  ).set(rs);
  choose(
    c,
    trans,
    () => c.get(ldb).i32(eb).i32Mul(),
    () => c.i32(eb),
  ).set(cs);
  c.get(cols).i32(1).i32Sub().set(last);
  forUp(
    c,
    j0,
    () => c.i32(0),
    () => c.get(cols),
    NR,
    () => {
      // A whole panel of an untransposed B: rows of NR contiguous elements.
      c.get(trans).i32Eqz().get(j0).i32(NR).i32Add().get(cols).i32GtS().i32Eqz().i32And();
      c.if();
      c.get(j0).i32(eb).i32Mul().get(src).i32Add().set(a);
      forUp(
        c,
        p,
        () => c.i32(0),
        () => c.get(kc),
        1,
        () => {
          for (let v = 0; v < tile.nv; v++)
            c.get(dst)
              .get(a)
              .load(16 * v)
              .store(16 * v);
          c.addLocal(a, rs);
          c.addTo(dst, NR * eb);
        },
      );
      c.else();
      for (let j = 0; j < NR; j++) {
        c.get(j0).i32(j).i32Add().set(col);
        min(c, col, last).get(cs).i32Mul().get(src).i32Add().set(cb[j]);
      }
      forUp(
        c,
        p,
        () => c.i32(0),
        () => c.get(kc),
        1,
        () => {
          for (let j = 0; j < NR; j++) {
            c.get(dst);
            t.load(c.get(cb[j]));
            t.store(c, j * eb);
            c.addLocal(cb[j], rs);
          }
          c.addTo(dst, NR * eb);
        },
      );
      c.end();
    },
  );
  return c;
}

/**
 * macro(Ap, Bp, mc, nc, kc, C, ldc, accumulate): every MR x NR tile of the packed blocks' product into C
 * (padded: whole tiles), added to C's values when accumulate is non-zero. B's micro-panel stays in L1
 * while the tiles walk down A's block (in L2).
 */
function macro(t: ElemType, tile: GemmTile, relaxed: boolean): Code {
  const { mr: MR, nv: NV } = tile;
  const NR = NV * t.lanes;
  const eb = t.bytes;
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [Ap, Bp, mc, nc, kc, C, ldc, accum] = [0, 1, 2, 3, 4, 5, 6, 7];
  const ldcB = c.local(I32);
  const jr = c.local(I32);
  const ir = c.local(I32);
  const bp = c.local(I32);
  const ap = c.local(I32);
  const cr = c.local(I32);
  const crr = c.local(I32);
  const pa = c.local(I32);
  const pb = c.local(I32);
  const pEnd = c.local(I32);
  const aStride = c.local(I32);
  const bStride = c.local(I32);
  const acc = Array.from({ length: MR * NV }, () => c.local(V128));
  const bv = Array.from({ length: NV }, () => c.local(V128));
  const sv = c.local(V128);
  c.get(ldc).i32(eb).i32Mul().set(ldcB);
  c.get(kc)
    .i32(MR * eb)
    .i32Mul()
    .set(aStride);
  c.get(kc)
    .i32(NR * eb)
    .i32Mul()
    .set(bStride);
  c.get(Bp).set(bp);
  forUp(
    c,
    jr,
    () => c.i32(0),
    () => c.get(nc),
    NR,
    () => {
      c.get(Ap).set(ap);
      c.get(jr).i32(eb).i32Mul().get(C).i32Add().set(cr);
      forUp(
        c,
        ir,
        () => c.i32(0),
        () => c.get(mc),
        MR,
        () => {
          // The accumulators: C's tile, or zeros.
          c.get(accum).if();
          c.get(cr).set(crr);
          for (let r = 0; r < MR; r++) {
            for (let v = 0; v < NV; v++)
              c.get(crr)
                .load(16 * v)
                .set(acc[r * NV + v]);
            if (r < MR - 1) c.addLocal(crr, ldcB);
          }
          c.else();
          c.f32x4Const(0).set(acc[0]);
          for (let q = 1; q < MR * NV; q++) c.get(acc[0]).set(acc[q]);
          c.end();
          // The k loop: one packed column of A against one packed row of B per step.
          c.get(ap).set(pa);
          c.get(bp).set(pb);
          c.get(ap).get(aStride).i32Add().set(pEnd);
          c.loop();
          for (let v = 0; v < NV; v++)
            c.get(pb)
              .load(16 * v)
              .set(bv[v]);
          for (let r = 0; r < MR; r++) {
            c.get(pa)
              .loadSplat(t.splat, r * eb)
              .set(sv);
            for (let v = 0; v < NV; v++) {
              const q = acc[r * NV + v];
              if (relaxed) c.get(sv).get(bv[v]).get(q).simd(t.madd).set(q);
              else c.get(q).get(sv).get(bv[v]).simd(t.mul).simd(t.add).set(q);
            }
          }
          c.addTo(pa, MR * eb);
          c.addTo(pb, NR * eb);
          c.get(pa).get(pEnd).i32LtU().brIf(0);
          c.end();
          // Store the tile.
          c.get(cr).set(crr);
          for (let r = 0; r < MR; r++) {
            for (let v = 0; v < NV; v++)
              c.get(crr)
                .get(acc[r * NV + v])
                .store(16 * v);
            if (r < MR - 1) c.addLocal(crr, ldcB);
          }
          c.addLocal(ap, aStride);
          c.get(ldcB).i32(MR).i32Mul().get(cr).i32Add().set(cr);
        },
      );
      c.addLocal(bp, bStride);
    },
  );
  return c;
}

/**
 * gemm(desc, Ap, Bp): the descriptor's product (C padded to whole tiles), blocked over nc columns, kc of
 * k and mc rows; Ap and Bp are this thread's packing buffers (mc·kc and kc·nc elements, rounded up to
 * whole panels).
 */
function gemm(t: ElemType, fPackA: number, fPackB: number, fMacro: number): Code {
  const eb = t.bytes;
  const c = new Code([I32, I32, I32]);
  const [desc, Ap, Bp] = [0, 1, 2];
  const f = loadFields(c, desc, DESC);
  const jc = c.local(I32);
  const pc = c.local(I32);
  const ic = c.local(I32);
  const ncur = c.local(I32);
  const kcur = c.local(I32);
  const mcur = c.local(I32);
  const rest = c.local(I32);
  /** base + (trans ? y·ld + x : x·ld + y)·eb */
  const at = (base: number, trans: number, ld: number, x: number, y: number) =>
    choose(
      c,
      trans,
      () => c.get(y).get(ld).i32Mul().get(x).i32Add(),
      () => c.get(x).get(ld).i32Mul().get(y).i32Add(),
    )
      .i32(eb)
      .i32Mul()
      .get(base)
      .i32Add();
  forUp(
    c,
    jc,
    () => c.i32(0),
    () => c.get(f.n),
    { local: f.nc },
    () => {
      c.get(f.n).get(jc).i32Sub().set(rest);
      min(c, f.nc, rest).set(ncur);
      forUp(
        c,
        pc,
        () => c.i32(0),
        () => c.get(f.k),
        { local: f.kc },
        () => {
          c.get(f.k).get(pc).i32Sub().set(rest);
          min(c, f.kc, rest).set(kcur);
          // B's block at (pc, jc).
          at(f.b, f.transB, f.ldb, pc, jc).get(f.ldb).get(f.transB).get(kcur).get(ncur).get(Bp);
          c.call(fPackB);
          forUp(
            c,
            ic,
            () => c.i32(0),
            () => c.get(f.m),
            { local: f.mc },
            () => {
              c.get(f.m).get(ic).i32Sub().set(rest);
              min(c, f.mc, rest).set(mcur);
              // A's block at (ic, pc).
              at(f.a, f.transA, f.lda, ic, pc).get(f.lda).get(f.transA).get(mcur).get(kcur).get(Ap);
              c.call(fPackA);
              c.get(Ap).get(Bp).get(mcur).get(ncur).get(kcur);
              // C's block at (ic, jc).
              c.get(ic).get(f.ldc).i32Mul().get(jc).i32Add().i32(eb).i32Mul().get(f.c).i32Add();
              c.get(f.ldc);
              c.get(f.accumulate).get(pc).i32Or();
              c.call(fMacro);
            },
          );
        },
      );
    },
  );
  return c;
}

/**
 * block(desc): the block task's tiles of C, one call of macro per slice of k in order (the first slice
 * adds into C only when the product accumulates).
 */
function block(fMacro: number): Code {
  const c = new Code([I32]);
  const desc = 0;
  const f = loadFields(c, desc, BLOCK);
  const pc = c.local(I32);
  const kcur = c.local(I32);
  const rest = c.local(I32);
  forUp(
    c,
    pc,
    () => c.i32(0),
    () => c.get(f.k),
    { local: f.kc },
    () => {
      c.get(f.k).get(pc).i32Sub().set(rest);
      min(c, f.kc, rest).set(kcur);
      c.get(pc).get(f.aSlice).i32Mul().get(f.packedA).i32Add().get(kcur).get(f.aRow).i32Mul().i32Add();
      c.get(pc).get(f.bSlice).i32Mul().get(f.packedB).i32Add().get(kcur).get(f.bCol).i32Mul().i32Add();
      c.get(f.mc).get(f.nc).get(kcur).get(f.c).get(f.ldc);
      c.get(f.accumulate).get(pc).i32Or();
      c.call(fMacro);
    },
  );
  return c;
}

/** task(desc): the task that the descriptor at desc names (see TASK). */
function task(fPackA: number, fPackB: number, fBlock: number): Code {
  const c = new Code([I32, I32, I32]);
  const desc = 0;
  const call = (f: number, args: number) => {
    for (let i = 1; i <= args; i++) c.get(desc).i32Load(4 * i);
    c.call(f);
  };
  c.get(desc).i32Load(0).i32(TASK.packA).i32Sub().i32Eqz().if();
  call(fPackA, 6);
  c.else();
  c.get(desc).i32Load(0).i32(TASK.packB).i32Sub().i32Eqz().if();
  call(fPackB, 6);
  c.else();
  c.get(desc).call(fBlock);
  c.end();
  c.end();
  return c;
}

export interface GemmModuleOptions {
  f32: GemmTile;
  f64: GemmTile;
  /** Use relaxed SIMD's multiply-add (check relaxedSimdSupported() first). */
  relaxed: boolean;
  memory: SharedMemoryLimits;
}

/**
 * The module: exports gemm_f32 and gemm_f64, gemm_task_f32 and gemm_task_f64 (and their parts) and the direct convolutions of
 * conv_kernels.ts, importing one shared memory (so that one worker pool runs them all).
 */
export function buildGemmModule(o: GemmModuleOptions): Uint8Array {
  const funcs: FuncDef[] = [];
  for (const [t, tile] of [
    [F32T, o.f32],
    [F64T, o.f64],
  ] as const) {
    const base = funcs.length;
    funcs.push({ name: `packA_${t.name}`, code: packA(t, tile) });
    funcs.push({ name: `packB_${t.name}`, code: packB(t, tile) });
    funcs.push({ name: `macro_${t.name}`, code: macro(t, tile, o.relaxed) });
    funcs.push({ name: `gemm_${t.name}`, code: gemm(t, base, base + 1, base + 2) });
    funcs.push({ name: `block_${t.name}`, code: block(base + 2) });
    funcs.push({ name: `gemm_task_${t.name}`, code: task(base, base + 1, base + 4) });
  }
  funcs.push(...convFunctions(o.relaxed));
  return encodeModule(funcs, o.memory);
}

/** Whether this engine validates relaxed SIMD's f32x4.relaxed_madd (Node 22+; behind a flag before). */
export function relaxedSimdSupported(validate: (bytes: Uint8Array) => boolean): boolean {
  const c = new Code([]);
  c.f32x4Const(1).f32x4Const(2).f32x4Const(3).simd(Simd.F32x4RelaxedMadd).drop();
  try {
    return validate(encodeModule([{ name: "probe", code: c }]));
  } catch {
    return false;
  }
}
