import { Code, encodeModule, F32, F64, FuncDef, I32, Simd, SimdOp, V128 } from "./encoder.js";

/**
 * The float32 kernels, written as WebAssembly SIMD (four lanes) with the encoder. Every kernel reproduces
 * the JavaScript kernel it replaces bit for bit (up to NaN payloads): the elementwise ops whose JS
 * expression, evaluated in float64 and rounded once to float32, equals the float32 operation (+ - * /,
 * sqrt: double rounding is exact for them), with the same choices for NaN and signed zeros; max pooling
 * with the same first-maximum rule; average pooling summed in float64 as the JS loop does.
 *
 * Calling conventions: pointers and lengths are byte offsets into the imported memory; element counts are
 * padded by the caller to whole vectors (the memory regions have room for the padding), so no kernel has
 * a scalar tail. The elementwise loops do two vectors per iteration (25% faster than one), so their
 * lengths and periods are whole multiples of STEP bytes.
 */
const UNROLL = 2;
export const STEP = 16 * UNROLL;

/** Emits code leaving one v128 on the stack; `k(v)` is a local holding splat(v), set before the loop. */
type K = (v: number) => number;
export interface UnaryOpDef {
  /** The JS expression (src/ops/elementwise.ts) this kernel reproduces: a different one is not routed here. */
  js: string;
  consts?: number[];
  emit(c: Code, x: number, k: K): void;
}
export interface BinaryOpDef {
  js: string;
  consts?: number[];
  emit(c: Code, a: number, b: number, k: K): void;
}

const s = Simd;
const bin = (js: string, op: SimdOp): BinaryOpDef => ({ js, emit: (c, a, b) => void c.get(a).get(b).simd(op) });
const un = (js: string, op: SimdOp): UnaryOpDef => ({ js, emit: (c, x) => void c.get(x).simd(op) });

/** Unary ops by TensorFlow op type, matching the JS expressions of src/ops/elementwise.ts. */
export const UNARY: Readonly<Record<string, UnaryOpDef>> = {
  // (x + |x|) * 0.5 in float64: x when x > 0; otherwise +0, NaN for NaN and -Inf, i.e. x - x.
  Relu: { js: "x < 0 ? 0 : x", consts: [0], emit: (c, x, k) => void c.get(k(0)).get(x).get(x).get(k(0)).simd(s.F32x4Lt).simd(s.Bitselect) },
  // x > 0 ? (x < 6 ? x : 6) : 0 (NaN gives 0).
  Relu6: {
    js: "x > 0 ? (x < 6 ? x : 6) : 0",
    consts: [0, 6],
    emit: (c, x, k) => void c.get(x).get(k(6)).get(x).get(k(6)).simd(s.F32x4Lt).simd(s.Bitselect).get(k(0)).get(x).get(k(0)).simd(s.F32x4Gt).simd(s.Bitselect),
  },
  Neg: un("-x", s.F32x4Neg),
  Abs: un("Math.abs(x)", s.F32x4Abs),
  Sqrt: un("Math.sqrt(x)", s.F32x4Sqrt),
  Square: { js: "x * x", emit: (c, x) => void c.get(x).get(x).simd(s.F32x4Mul) },
  Reciprocal: { js: "1 / x", consts: [1], emit: (c, x, k) => void c.get(k(1)).get(x).simd(s.F32x4Div) },
  Floor: un("Math.floor(x)", s.F32x4Floor),
  Ceil: un("Math.ceil(x)", s.F32x4Ceil),
};

/** Binary ops by TensorFlow op type. */
export const BINARY: Readonly<Record<string, BinaryOpDef>> = {
  AddV2: bin("a + b", s.F32x4Add),
  Sub: bin("a - b", s.F32x4Sub),
  Mul: bin("a * b", s.F32x4Mul),
  RealDiv: bin("a / b", s.F32x4Div),
  // (a >= b || a !== a) ? a : b, and the mirror: keeps a's signed zero on ties, NaN from either side.
  Maximum: {
    js: "(a >= b || a !== a) ? a : b",
    emit: (c, a, b) => void c.get(a).get(b).get(a).get(b).simd(s.F32x4Ge).get(a).get(a).simd(s.F32x4Ne).simd(s.Or).simd(s.Bitselect),
  },
  Minimum: {
    js: "(a <= b || a !== a) ? a : b",
    emit: (c, a, b) => void c.get(a).get(b).get(a).get(b).simd(s.F32x4Le).get(a).get(a).simd(s.F32x4Ne).simd(s.Or).simd(s.Bitselect),
  },
  // a * (b > 0): a times 1 or 0 (so -0 for negative a, NaN for infinite a where b <= 0).
  ReluGrad: { js: "a * (b > 0)", consts: [0, 1], emit: (c, a, b, k) => void c.get(a).get(b).get(k(0)).simd(s.F32x4Gt).get(k(1)).simd(s.And).simd(s.F32x4Mul) },
  // (b > 0 && b < 6) ? a : 0
  Relu6Grad: {
    js: "(b > 0 && b < 6) ? a : 0",
    consts: [0, 6],
    emit: (c, a, b, k) => void c.get(a).get(k(0)).get(b).get(k(0)).simd(s.F32x4Gt).get(b).get(k(6)).simd(s.F32x4Lt).simd(s.And).simd(s.Bitselect),
  },
};

function constants(c: Code, values: readonly number[] = []): K {
  const locals = new Map<number, number>();
  for (const v of values) {
    const l = c.local(V128);
    c.f32x4Const(v).set(l);
    locals.set(v, l);
  }
  return (v) => {
    const l = locals.get(v);
    if (l === undefined) throw new Error(`wasm kernel: constant ${v} not declared`);
    return l;
  };
}

/** u_<op>(x, o, nbytes): o[i] = op(x[i]); o may equal x. */
function unaryFn(name: string, def: UnaryOpDef): FuncDef {
  const c = new Code([I32, I32, I32]);
  const [x, o, n] = [0, 1, 2];
  const end = c.local(I32);
  const v = c.local(V128);
  const k = constants(c, def.consts);
  c.get(x).get(n).i32Add().set(end);
  c.loop();
  for (let j = 0; j < UNROLL; j++) {
    c.get(x)
      .load(16 * j)
      .set(v);
    c.get(o);
    def.emit(c, v, k);
    c.store(16 * j);
  }
  c.addTo(x, STEP).addTo(o, STEP);
  c.get(x).get(end).i32LtU().brIf(0);
  c.end();
  return { name: `u_${name}`, code: c };
}

/**
 * vp_<op>(a, b, o, nbytes, pbytes): o = op(a, b) with b repeating every pbytes (pbytes = nbytes: same
 * shape); pv_<op>: a repeats. nbytes must be a multiple of pbytes, pbytes of STEP; o may equal the full
 * operand.
 */
function periodicFn(name: string, def: BinaryOpDef, periodicA: boolean): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32]);
  const [a, b, o, n, p] = [0, 1, 2, 3, 4];
  const full = periodicA ? b : a;
  const per = periodicA ? a : b;
  const [end, q, qEnd] = [c.local(I32), c.local(I32), c.local(I32)];
  const [va, vb] = [c.local(V128), c.local(V128)];
  const k = constants(c, def.consts);
  c.get(full).get(n).i32Add().set(end);
  c.loop();
  c.get(per).set(q).get(per).get(p).i32Add().set(qEnd);
  c.loop();
  for (let j = 0; j < UNROLL; j++) {
    c.get(periodicA ? q : full)
      .load(16 * j)
      .set(va);
    c.get(periodicA ? full : q)
      .load(16 * j)
      .set(vb);
    c.get(o);
    def.emit(c, va, vb, k);
    c.store(16 * j);
  }
  c.addTo(full, STEP).addTo(q, STEP).addTo(o, STEP);
  c.get(q).get(qEnd).i32LtU().brIf(0);
  c.end();
  c.get(full).get(end).i32LtU().brIf(0);
  c.end();
  return { name: `${periodicA ? "pv" : "vp"}_${name}`, code: c };
}

/** vs_<op>(a, s, o, nbytes): o = op(a, s) for a float32 scalar s; sv_<op>(s, b, o, nbytes): op(s, b). */
function scalarFn(name: string, def: BinaryOpDef, scalarA: boolean): FuncDef {
  const c = new Code(scalarA ? [F32, I32, I32, I32] : [I32, F32, I32, I32]);
  const [a, b, o, n] = [0, 1, 2, 3];
  const full = scalarA ? b : a;
  const [end] = [c.local(I32)];
  const [va, vb] = [c.local(V128), c.local(V128)];
  const k = constants(c, def.consts);
  c.get(scalarA ? a : b)
    .simd(s.F32x4Splat)
    .set(scalarA ? va : vb);
  c.get(full).get(n).i32Add().set(end);
  c.loop();
  for (let j = 0; j < UNROLL; j++) {
    c.get(full)
      .load(16 * j)
      .set(scalarA ? vb : va);
    c.get(o);
    def.emit(c, va, vb, k);
    c.store(16 * j);
  }
  c.addTo(full, STEP).addTo(o, STEP);
  c.get(full).get(end).i32LtU().brIf(0);
  c.end();
  return { name: `${scalarA ? "sv" : "vs"}_${name}`, code: c };
}

// ---------------------------------------------------------------- 2x2 stride-2 pooling, channels last

/**
 * The window loops shared by the pool kernels. The input is `pairs` consecutive pairs of rows (rowBytes
 * each: W*C floats); window w of a pair covers columns 2w and 2w+1 of both rows. Channels go four at a
 * time; `body(t, k, tail)` gets the local holding the window's first input address plus k (the channel
 * byte offset), and runs ceil(C/4) times per window: first for the partial group (tail = true) when
 * C % 4 != 0, then for the whole groups.
 * `perWindow` locals advance by cb (C*4 bytes, one output pixel) per window.
 */
function windowLoops(
  c: Code,
  g: { base: number; pairs: number; rowBytes: number; outW: number; cb: number; perWindow: number[] },
  body: (t: number, k: number, tail: boolean) => void,
): void {
  const [r, rEnd, pa, w, k, t, full, twoRow] = [c.local(I32), c.local(I32), c.local(I32), c.local(I32), c.local(I32), c.local(I32), c.local(I32), c.local(I32)];
  c.get(g.rowBytes).get(g.rowBytes).i32Add().set(twoRow);
  c.get(g.cb).i32(-16).i32And().set(full);
  c.get(g.base).set(r);
  c.get(g.base).get(g.pairs).get(twoRow).i32Mul().i32Add().set(rEnd);
  c.loop(); // pairs of rows
  c.get(r).set(pa);
  c.get(g.outW).set(w);
  c.loop(); // windows
  // The last, partial group first: its blended stores load memory that no store of this window has
  // touched yet (a load overlapping a just-stored vector in part stalls on store forwarding).
  c.get(g.cb).i32(15).i32And().if();
  c.get(full).set(k);
  c.get(pa).get(k).i32Add().set(t);
  body(t, k, true);
  c.end();
  c.i32(0).set(k);
  c.block();
  c.get(full).i32Eqz().brIf(0);
  c.loop(); // whole groups of four channels
  c.get(pa).get(k).i32Add().set(t);
  body(t, k, false);
  c.addTo(k, 16);
  c.get(k).get(full).i32LtU().brIf(0);
  c.end();
  c.end();
  c.get(pa).get(g.cb).i32Add().get(g.cb).i32Add().set(pa);
  for (const l of g.perWindow) c.addLocal(l, g.cb);
  c.get(w).i32(1).i32Sub().tee(w).brIf(0);
  c.end();
  c.addLocal(r, twoRow);
  c.get(r).get(rEnd).i32LtU().brIf(0);
  c.end();
}

/** Pushes the four window inputs' addresses (t, t+C, t+row, t+row+C) one at a time through `use`. */
function corners(c: Code, t: number, rowBytes: number, cb: number, use: (i: number, pushAddr: () => void) => void): void {
  use(0, () => c.get(t));
  use(1, () => c.get(t).get(cb).i32Add());
  use(2, () => c.get(t).get(rowBytes).i32Add());
  use(3, () => c.get(t).get(rowBytes).i32Add().get(cb).i32Add());
}

/**
 * maxPool2x2(x, o, pairs, rowBytes, outW, cb): o gets each window's maximum, scanning (h, w) and
 * keeping the first maximum (pmax(m, v) = m < v ? v : m, as the JS `if (v > m) m = v`). Output vectors
 * run past a window's C channels into the next window's slots, which that window rewrites; o needs 16
 * bytes of slack at the end.
 */
function maxPoolFn(): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [x, o, pairs, rowBytes, outW, cb] = [0, 1, 2, 3, 4, 5];
  windowLoops(c, { base: x, pairs, rowBytes, outW, cb, perWindow: [o] }, (t, k) => {
    c.get(o).get(k).i32Add();
    corners(c, t, rowBytes, cb, (i, addr) => {
      addr();
      c.load();
      if (i > 0) c.simd(s.F32x4Pmax);
    });
    c.store();
  });
  return { name: "maxPool2x2", code: c };
}

/** avgPool2x2(x, o, pairs, rowBytes, outW, cb): ((x0 + x1) + x2) + x3 in float64, times 0.25, to float32. */
function avgPoolFn(): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [x, o, pairs, rowBytes, outW, cb] = [0, 1, 2, 3, 4, 5];
  const v = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const quarter = c.local(V128);
  c.f64x2Const(0.25).set(quarter);
  const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  const LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  windowLoops(c, { base: x, pairs, rowBytes, outW, cb, perWindow: [o] }, (t, k) => {
    corners(c, t, rowBytes, cb, (i, addr) => {
      addr();
      c.load().set(v[i]);
    });
    c.get(o).get(k).i32Add();
    for (const high of [false, true]) {
      for (let i = 0; i < 4; i++) {
        c.get(v[i]);
        if (high) c.get(v[i]).shuffle(HIGH);
        c.simd(s.F64x2PromoteLowF32x4);
        if (i > 0) c.simd(s.F64x2Add);
      }
      c.get(quarter).simd(s.F64x2Mul).simd(s.F32x4DemoteF64x2Zero);
    }
    c.shuffle(LOWS).store();
  });
  return { name: "avgPool2x2", code: c };
}

/**
 * maxPoolGrad2x2{N,Y,C}(x, y, dy, dx, pairs, rowBytes, outW, cb): dx gets dy at each window's first
 * maximum and +0 at its other three inputs, as the JS kernel:
 * - N: the maximum by comparisons (strict >, scan order), y unused;
 * - Y: the first input equal to y, unless none is (then the comparisons decide);
 * - C: as N, and returns 1 when y equals the scan's maximum in every window (then the first input equal
 *   to y is the scan's pick, the inputs before it being smaller, so the result is Y's); 0 means the caller
 *   must run Y.
 * The last partial channel group blends its stores, so every store writes only its window's own
 * elements; dx elements outside every window (odd H or W) are left as they were.
 */
function maxPoolGradFn(variant: "N" | "Y" | "C"): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, I32], variant === "C" ? [I32] : []);
  const [x, y, dy, dx, pairs, rowBytes, outW, cb] = [0, 1, 2, 3, 4, 5, 6, 7];
  const py = c.local(I32);
  const dd = c.local(I32);
  const gd = c.local(I32);
  const v = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const [c1, c2, c3, m, f0, f1, f2, f3, any, e, seen, g, yv, tmask, ok] = Array.from({ length: 15 }, () => c.local(V128));
  const f = [f0, f1, f2, f3];
  c.get(dx).get(x).i32Sub().set(dd);
  c.get(dy).get(y).i32Sub().set(gd);
  c.get(y).set(py);
  // Lanes [0, C % 4) of the last group are the window's own.
  c.get(cb).i32(15).i32And().i32(2).i32ShrU().simd(s.I32x4Splat).i32x4Const(0, 1, 2, 3).simd(s.I32x4GtS).set(tmask);
  c.i32x4Const(-1, -1, -1, -1).set(ok);
  windowLoops(c, { base: x, pairs, rowBytes, outW, cb, perWindow: [py] }, (t, k, tail) => {
    corners(c, t, rowBytes, cb, (i, addr) => {
      addr();
      c.load().set(v[i]);
    });
    // Comparison scan: c_i = v_i > running max.
    c.get(v[1]).get(v[0]).simd(s.F32x4Gt).set(c1);
    c.get(v[1]).get(v[0]).get(c1).simd(s.Bitselect).set(m);
    c.get(v[2]).get(m).simd(s.F32x4Gt).set(c2);
    c.get(v[2]).get(m).get(c2).simd(s.Bitselect).set(m);
    c.get(v[3]).get(m).simd(s.F32x4Gt).set(c3);
    // Winner masks: 3 if c3, else 2 if c2, else 1 if c1, else 0.
    c.get(c3).set(f3);
    c.get(c2).get(c3).simd(s.AndNot).set(f2);
    c.get(c1).get(c2).simd(s.AndNot).get(c3).simd(s.AndNot).set(f1);
    c.get(c1).get(c2).simd(s.Or).get(c3).simd(s.Or).simd(s.Not).set(f0);
    if (variant === "C") {
      // ok &= (y == maximum), on the window's own lanes.
      c.get(ok).get(py).get(k).i32Add().load().get(v[3]).get(m).get(c3).simd(s.Bitselect).simd(s.F32x4Eq);
      if (tail) c.get(tmask).simd(s.Not).simd(s.Or);
      c.simd(s.And).set(ok);
    }
    if (variant === "Y") {
      c.get(py).get(k).i32Add().load().set(yv);
      c.get(v[0]).get(yv).simd(s.F32x4Eq).set(seen);
      c.get(seen).set(any);
      for (let i = 1; i < 4; i++) {
        c.get(v[i]).get(yv).simd(s.F32x4Eq).set(e);
        c.get(any).get(e).simd(s.Or).set(any);
      }
      // Where some input equals y: the first such input; the comparisons elsewhere.
      c.get(seen).get(f0).get(any).simd(s.Bitselect).set(f0);
      for (let i = 1; i < 4; i++) {
        c.get(v[i]).get(yv).simd(s.F32x4Eq).set(e);
        c.get(e).get(seen).simd(s.AndNot).get(f[i]).get(any).simd(s.Bitselect).set(f[i]);
        if (i < 3) c.get(seen).get(e).simd(s.Or).set(seen);
      }
    }
    c.get(py).get(k).i32Add().get(gd).i32Add().load().set(g);
    corners(c, t, rowBytes, cb, (i, addr) => {
      addr();
      c.get(dd).i32Add();
      c.get(g).get(f[i]).simd(s.And);
      if (tail) {
        addr();
        c.get(dd).i32Add().load().get(tmask).simd(s.Bitselect);
      }
      c.store();
    });
  });
  if (variant === "C") c.get(ok).simd(s.I32x4AllTrue);
  return { name: `maxPoolGrad2x2${variant}`, code: c };
}

/** avgPoolGrad2x2(dy, dx, pairs, rowBytes, outW, cb): each of a window's four inputs gets dy * 0.25. */
function avgPoolGradFn(): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const [dy, dx, pairs, rowBytes, outW, cb] = [0, 1, 2, 3, 4, 5];
  const py = c.local(I32);
  const [g, quarter, tmask] = [c.local(V128), c.local(V128), c.local(V128)];
  c.get(dy).set(py);
  c.f32x4Const(0.25).set(quarter);
  c.get(cb).i32(15).i32And().i32(2).i32ShrU().simd(s.I32x4Splat).i32x4Const(0, 1, 2, 3).simd(s.I32x4GtS).set(tmask);
  windowLoops(c, { base: dx, pairs, rowBytes, outW, cb, perWindow: [py] }, (t, k, tail) => {
    c.get(py).get(k).i32Add().load().get(quarter).simd(s.F32x4Mul).set(g);
    corners(c, t, rowBytes, cb, (_i, addr) => {
      addr();
      c.get(g);
      if (tail) {
        addr();
        c.load().get(tmask).simd(s.Bitselect);
      }
      c.store();
    });
  });
  return { name: "avgPoolGrad2x2", code: c };
}

// ---------------------------------------------------------------- ApplyAdam

/** Bytes 8-15 of a vector moved to 0-7 (the upper two float32 lanes, for f64x2.promote_low). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
/** The low two float32 lanes of each of two vectors: [a0, a1, b0, b1]. */
const JOIN_LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * adam(x, m, v, g, ox, om, ov, nbytes, lrT, a1, a2, eps): TensorFlow 1's ApplyAdam as the JavaScript kernel
 * (backends/cpu/kernels/training.ts) computes it, in float64 lanes, two at a time:
 *   m' = m + (g - m) a1,  v' = v + (g g - v) a2,  x' = x - (lrT m') / (sqrt(v') + eps)
 * (a1 = 1 - beta1, a2 = 1 - beta2), each result rounded once to float32, x' from the unrounded m' and v'.
 * The same float64 operations in the same order give the same bits.
 */
function adamFn(): FuncDef {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64]);
  const [px, pm, pv, pg, ox, om, ov, n, lr, a1, a2, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const end = c.local(I32);
  const [L, A1, A2, E] = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  for (const [from, to] of [
    [lr, L],
    [a1, A1],
    [a2, A2],
    [eps, E],
  ])
    c.get(from).simd(s.F64x2Splat).set(to);
  const inputs = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const [x, m, v, g] = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const [mi, vi] = [c.local(V128), c.local(V128)];
  const outs = [0, 1].map(() => [c.local(V128), c.local(V128), c.local(V128)]);
  c.get(px).get(n).i32Add().set(end);
  c.loop();
  [px, pm, pv, pg].forEach((ptr, k) => void c.get(ptr).load(0).set(inputs[k]));
  for (const half of [0, 1]) {
    [x, m, v, g].forEach((to, k) => {
      c.get(inputs[k]);
      if (half === 1) c.get(inputs[k]).shuffle(HIGH_HALF);
      c.simd(s.F64x2PromoteLowF32x4).set(to);
    });
    // m' = m + (g - m) a1
    c.get(m).get(g).get(m).simd(s.F64x2Sub).get(A1).simd(s.F64x2Mul).simd(s.F64x2Add).set(mi);
    // v' = v + (g g - v) a2
    c.get(v).get(g).get(g).simd(s.F64x2Mul).get(v).simd(s.F64x2Sub).get(A2).simd(s.F64x2Mul).simd(s.F64x2Add).set(vi);
    const [oX, oM, oV] = outs[half];
    // x' = x - (lrT m') / (sqrt(v') + eps)
    c.get(x).get(L).get(mi).simd(s.F64x2Mul).get(vi).simd(s.F64x2Sqrt).get(E).simd(s.F64x2Add).simd(s.F64x2Div).simd(s.F64x2Sub);
    c.simd(s.F32x4DemoteF64x2Zero).set(oX);
    c.get(mi).simd(s.F32x4DemoteF64x2Zero).set(oM);
    c.get(vi).simd(s.F32x4DemoteF64x2Zero).set(oV);
  }
  [ox, om, ov].forEach((ptr, k) => void c.get(ptr).get(outs[0][k]).get(outs[1][k]).shuffle(JOIN_LOW).store(0));
  for (const ptr of [px, pm, pv, pg, ox, om, ov]) c.addTo(ptr, 16);
  c.get(px).get(end).i32LtU().brIf(0);
  c.end();
  return { name: "adam", code: c };
}

/** Every kernel, as one module's bytes. */
export function buildKernelModule(): Uint8Array {
  const funcs: FuncDef[] = [];
  for (const [name, def] of Object.entries(UNARY)) funcs.push(unaryFn(name, def));
  for (const [name, def] of Object.entries(BINARY)) {
    funcs.push(periodicFn(name, def, false), periodicFn(name, def, true), scalarFn(name, def, false), scalarFn(name, def, true));
  }
  funcs.push(maxPoolFn(), avgPoolFn(), maxPoolGradFn("N"), maxPoolGradFn("Y"), maxPoolGradFn("C"), avgPoolGradFn(), adamFn());
  return encodeModule(funcs);
}
