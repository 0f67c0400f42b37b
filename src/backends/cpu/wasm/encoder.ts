/**
 * A tiny WebAssembly binary encoder: just enough of the module format (type, import, function, export and
 * code sections, LEB128 integers) and of the instruction set (control flow, locals, i32 arithmetic, the
 * 0xfd-prefixed SIMD operations) to build the CPU backend's float32 kernels at run time, with no compiler
 * toolchain at install. Function bodies are written with `Code`, one method per instruction.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
export function uleb(out: number[], v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uleb: ${v}`);
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 (32-bit values). */
export function sleb(out: number[], v: number): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`sleb: ${v}`);
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** SIMD opcodes (after the 0xfd prefix, LEB128-encoded). */
export const Simd = {
  Load: 0x00,
  Load32Splat: 0x09,
  Load64Splat: 0x0a,
  Store: 0x0b,
  Const: 0x0c,
  Shuffle: 0x0d,
  I32x4Splat: 0x11,
  F32x4Splat: 0x13,
  F64x2Splat: 0x14,
  I32x4GtS: 0x3b,
  I32x4AllTrue: 0xa3,
  F32x4Eq: 0x41,
  F32x4Ne: 0x42,
  F32x4Lt: 0x43,
  F32x4Gt: 0x44,
  F32x4Le: 0x45,
  F32x4Ge: 0x46,
  Not: 0x4d,
  And: 0x4e,
  AndNot: 0x4f,
  Or: 0x50,
  Xor: 0x51,
  Bitselect: 0x52,
  Store32Lane: 0x5a,
  Store64Lane: 0x5b,
  Load64Zero: 0x5d,
  F32x4DemoteF64x2Zero: 0x5e,
  F64x2PromoteLowF32x4: 0x5f,
  F32x4Ceil: 0x67,
  F32x4Floor: 0x68,
  F32x4Abs: 0xe0,
  F32x4Neg: 0xe1,
  F32x4Sqrt: 0xe3,
  F32x4Add: 0xe4,
  F32x4Sub: 0xe5,
  F32x4Mul: 0xe6,
  F32x4Div: 0xe7,
  F32x4Min: 0xe8,
  F32x4Max: 0xe9,
  F32x4Pmin: 0xea,
  F32x4Pmax: 0xeb,
  F64x2Sqrt: 0xef,
  F64x2Add: 0xf0,
  F64x2Sub: 0xf1,
  F64x2Mul: 0xf2,
  F64x2Div: 0xf3,
  /** Relaxed SIMD (fused or unfused multiply-add, the engine's choice): a·b + c. */
  F32x4RelaxedMadd: 0x105,
  F64x2RelaxedMadd: 0x107,
} as const;
export type SimdOp = (typeof Simd)[keyof typeof Simd];

/** A function body under construction: locals (after the parameters) and the instruction bytes. */
export class Code {
  readonly bytes: number[] = [];
  private readonly extra: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** A new local of type t; returns its index. */
  local(t: ValType): number {
    this.extra.push(t);
    return this.params.length + this.extra.length - 1;
  }

  /** Locals declaration (run-length groups) followed by the body and the final `end`. */
  encode(): number[] {
    const out: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.extra) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(t);
    }
    out.push(...this.bytes, 0x0b);
    return out;
  }

  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  // ---- control (blocks without results)
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(this.bytes, depth);
    return this;
  }
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(this.bytes, depth);
    return this;
  }

  // ---- locals
  get(i: number): this {
    this.op(0x20);
    uleb(this.bytes, i);
    return this;
  }
  set(i: number): this {
    this.op(0x21);
    uleb(this.bytes, i);
    return this;
  }
  tee(i: number): this {
    this.op(0x22);
    uleb(this.bytes, i);
    return this;
  }

  // ---- i32
  i32(v: number): this {
    this.op(0x41);
    sleb(this.bytes, v);
    return this;
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32ShrU(): this {
    return this.op(0x76);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32Or(): this {
    return this.op(0x72);
  }
  drop(): this {
    return this.op(0x1a);
  }
  /** call of the function at this index (functions are numbered in the module's order). */
  call(index: number): this {
    this.op(0x10);
    uleb(this.bytes, index);
    return this;
  }
  /** select: the first operand when the i32 on top is non-zero, else the second (numeric and v128 values). */
  select(): this {
    return this.op(0x1b);
  }

  // ---- scalar memory access (alignment hint 0, byte offset)
  private mem(opcode: number, offset: number): this {
    this.op(opcode, 0x00);
    uleb(this.bytes, offset);
    return this;
  }
  i32Load(offset = 0): this {
    return this.mem(0x28, offset);
  }
  f32Load(offset = 0): this {
    return this.mem(0x2a, offset);
  }
  f64Load(offset = 0): this {
    return this.mem(0x2b, offset);
  }
  f32Store(offset = 0): this {
    return this.mem(0x38, offset);
  }
  f64Store(offset = 0): this {
    return this.mem(0x39, offset);
  }
  /** local[i] += v (i32). */
  addTo(i: number, v: number): this {
    return this.get(i).i32(v).i32Add().set(i);
  }
  /** local[i] += local[j] (i32). */
  addLocal(i: number, j: number): this {
    return this.get(i).get(j).i32Add().set(i);
  }

  // ---- SIMD
  simd(op: SimdOp): this {
    this.op(0xfd);
    uleb(this.bytes, op);
    return this;
  }
  /** v128.load at (address on the stack) + offset; alignment hint 1 (unaligned access is allowed). */
  load(offset = 0): this {
    this.simd(Simd.Load);
    this.op(0x00);
    uleb(this.bytes, offset);
    return this;
  }
  store(offset = 0): this {
    this.simd(Simd.Store);
    this.op(0x00);
    uleb(this.bytes, offset);
    return this;
  }
  /** v128.store32_lane / store64_lane: (address, vector) on the stack, one lane stored at address + offset. */
  storeLane(op: typeof Simd.Store32Lane | typeof Simd.Store64Lane, lane: number, offset = 0): this {
    this.simd(op);
    this.op(0x00);
    uleb(this.bytes, offset);
    return this.op(lane);
  }
  /** v128.load32_splat / load64_splat at (address on the stack) + offset. */
  loadSplat(op: typeof Simd.Load32Splat | typeof Simd.Load64Splat, offset = 0): this {
    this.simd(op);
    this.op(0x00);
    uleb(this.bytes, offset);
    return this;
  }
  /** v128.const from four float32 lanes. */
  f32x4Const(a: number, b = a, c = a, d = a): this {
    const v = new Uint8Array(new Float32Array([a, b, c, d]).buffer);
    this.simd(Simd.Const);
    return this.op(...v);
  }
  f64x2Const(a: number, b = a): this {
    const v = new Uint8Array(new Float64Array([a, b]).buffer);
    this.simd(Simd.Const);
    return this.op(...v);
  }
  i32x4Const(a: number, b: number, c: number, d: number): this {
    const v = new Uint8Array(new Int32Array([a, b, c, d]).buffer);
    this.simd(Simd.Const);
    return this.op(...v);
  }
  /** i8x16.shuffle with 16 lane indices (0-15 first operand, 16-31 second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new RangeError("shuffle needs 16 lanes");
    this.simd(Simd.Shuffle);
    return this.op(...lanes);
  }
}

/** for (i = from; i < to; i += step) body, with `from`, `to` emitted by callbacks and step a constant or a local. */
export function forUp(c: Code, i: number, from: () => void, to: () => void, step: number | { local: number }, body: () => void): void {
  from();
  c.set(i);
  c.block().loop();
  c.get(i);
  to();
  c.i32GeS().brIf(1);
  body();
  if (typeof step === "number") c.addTo(i, step);
  else c.addLocal(i, step.local);
  c.br(0).end().end();
}

/**
 * One i32 local per field of a descriptor in memory (`layout`: field -> index of its 32-bit word), loaded from
 * the address in local `desc`: how the generated kernels read their arguments.
 */
export function loadFields<K extends string>(c: Code, desc: number, layout: Readonly<Record<K, number>>): Record<K, number> {
  const f = {} as Record<K, number>;
  for (const key of Object.keys(layout) as K[]) {
    f[key] = c.local(I32);
    c.get(desc)
      .i32Load(layout[key] * 4)
      .set(f[key]);
  }
  return f;
}

/** Pushes min(local a, local b) (signed). */
export function min(c: Code, a: number, b: number): Code {
  return c.get(a).get(b).get(a).get(b).i32LtS().select();
}

export interface FuncDef {
  name: string;
  code: Code;
}

/** A shared memory's page limits (threads need a shared memory, and a shared memory needs a maximum). */
export interface SharedMemoryLimits {
  initial: number;
  maximum: number;
}

/**
 * A module importing one memory ("env" "memory": at least one page, or shared with the limits given) and
 * exporting its functions.
 */
export function encodeModule(funcs: readonly FuncDef[], shared?: SharedMemoryLimits): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]) => {
    out.push(id);
    uleb(out, body.length);
    out.push(...body);
  };
  const name = (b: number[], s: string) => {
    const bytes = new TextEncoder().encode(s);
    uleb(b, bytes.length);
    b.push(...bytes);
  };

  // Types: one per distinct signature.
  const sigs: string[] = [];
  const typeOf = funcs.map((f) => {
    const key = `${f.code.params.join(",")}>${f.code.results.join(",")}`;
    let i = sigs.indexOf(key);
    if (i < 0) i = sigs.push(key) - 1;
    return i;
  });
  const types: number[] = [];
  uleb(types, sigs.length);
  for (const key of sigs) {
    const [p, r] = key.split(">").map((s) => (s === "" ? [] : s.split(",").map(Number)));
    types.push(0x60);
    uleb(types, p.length);
    types.push(...p);
    uleb(types, r.length);
    types.push(...r);
  }
  section(1, types);

  const imports: number[] = [];
  uleb(imports, 1);
  name(imports, "env");
  name(imports, "memory");
  if (shared) {
    imports.push(0x02, 0x03); // memory, limits: shared, min and max
    uleb(imports, shared.initial);
    uleb(imports, shared.maximum);
  } else imports.push(0x02, 0x00, 0x01); // memory, limits: min 1 page, no maximum
  section(2, imports);

  const fns: number[] = [];
  uleb(fns, funcs.length);
  for (const t of typeOf) uleb(fns, t);
  section(3, fns);

  const exps: number[] = [];
  uleb(exps, funcs.length);
  funcs.forEach((f, i) => {
    name(exps, f.name);
    exps.push(0x00);
    uleb(exps, i);
  });
  section(7, exps);

  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) {
    const body = f.code.encode();
    uleb(code, body.length);
    code.push(...body);
  }
  section(10, code);
  return new Uint8Array(out);
}
