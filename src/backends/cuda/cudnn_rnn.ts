import type { DType } from "../../core/dtype.js";
import { debugOn, getSetting } from "../../core/settings.js";
import { type Cudnn, cudnnFor, notSupported } from "./cudnn.js";
import { type Fn, type Ptr, shortError } from "./ffi.js";
import type { CudaHandle } from "./handle.js";
import type { KernelContext } from "./kernel.js";
import { cudnnRnnSource } from "./sources/recurrent.js";
import { storageType } from "./translate.js";

/**
 * A whole LSTM or GRU sequence through cuDNN 9's RNN API (the v8 entry points: cudnnRNNForward,
 * cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8), as TensorFlow's Keras LSTM and GRU run on a GPU:
 * the LSTMSequence and GRUSequence ops (GRU with reset_after: cuDNN's GRU applies the reset gate to the
 * recurrent product plus its bias, Keras's reset-after GRU) and their gradients (kernels/recurrent.ts).
 * Batch-major unpadded sequences, so x, y and dy are used in place; Keras's weights are packed into cuDNN's
 * weight space by one kernel per call and the weight-space gradient unpacked by another
 * (sources/recurrent.ts), so nothing outside the op reorders them.
 *
 * Everything a call needs besides its buffers (the RNN, data and state descriptors, the sizes of the weight
 * space, workspace and reserve space, and where each gate's matrices and biases sit in the weight space) is
 * made once per shape, dtype and TF32 setting. A call makes no host synchronisation and takes its scratch
 * buffers (weight spaces, workspace, the device copy of the sequence lengths) from tsflow's caching
 * allocator, so a captured Session step records it like any other kernel. Where the library lacks the RNN
 * API or declines a case, the entry points answer null and the op runs on the CPU (TSFLOW_DEBUG=cuda says why).
 */

// Enum values of cuDNN 9's cudnn_adv.h / cudnn_graph.h.
const CUDNN_DATA_FLOAT = 0;
const CUDNN_DATA_DOUBLE = 1;
const CUDNN_DEFAULT_MATH = 0;
const CUDNN_FMA_MATH = 3;
const CUDNN_RNN_ALGO_STANDARD = 0;
const CUDNN_LSTM = 2;
const CUDNN_GRU = 3;
const CUDNN_RNN_DOUBLE_BIAS = 2;
const CUDNN_UNIDIRECTIONAL = 0;
const CUDNN_LINEAR_INPUT = 0;
const CUDNN_RNN_PADDED_IO_ENABLED = 1;
const CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED = 2;
const CUDNN_FWD_MODE_TRAINING = 1;
const CUDNN_WGRAD_MODE_ADD = 0;
/**
 * Each cell's cuDNN linear layer (0 .. gates - 1 input-side, then the recurrent side's in the same order)
 * for Keras's gates in Keras's order: LSTM i, f, c, o are cuDNN's 0-3; GRU z, r, h are cuDNN's update (1),
 * reset (0) and new-memory (2) layers.
 */
const CELLS = {
  lstm: { mode: CUDNN_LSTM, layers: [0, 1, 2, 3] },
  gru: { mode: CUDNN_GRU, layers: [1, 0, 2] },
} as const;

interface RnnLib {
  cudnnCreateRNNDescriptor: Fn;
  cudnnSetRNNDescriptor_v8: Fn;
  cudnnCreateDropoutDescriptor: Fn;
  cudnnSetDropoutDescriptor: Fn;
  cudnnCreateRNNDataDescriptor: Fn;
  cudnnSetRNNDataDescriptor: Fn;
  cudnnCreateTensorDescriptor: Fn;
  cudnnSetTensorNdDescriptor: Fn;
  cudnnGetTensorNdDescriptor: Fn;
  cudnnGetRNNWeightSpaceSize: Fn;
  cudnnGetRNNTempSpaceSizes: Fn;
  cudnnGetRNNWeightParams: Fn;
  cudnnRNNForward: Fn;
  cudnnRNNBackwardData_v8: Fn;
  cudnnRNNBackwardWeights_v8: Fn;
}

/**
 * Descriptors are opaque pointers, device buffers uint64_t, host int arrays Int32Array buffers (void *, as
 * cudnn.ts passes its host buffers); scalar out-parameters one-element arrays (mAddr and bAddr read back as
 * addresses inside the weight space).
 */
function bindRnn(bind: (sig: string) => Fn): RnnLib {
  return {
    cudnnCreateRNNDescriptor: bind("int cudnnCreateRNNDescriptor(_Out_ void **desc)"),
    cudnnSetRNNDescriptor_v8: bind(
      "int cudnnSetRNNDescriptor_v8(void *desc, int algo, int cellMode, int biasMode, int dirMode, int inputMode, int dataType, int mathPrec, int mathType, int32_t inputSize, int32_t hiddenSize, int32_t projSize, int32_t numLayers, void *dropoutDesc, uint32_t auxFlags)",
    ),
    cudnnCreateDropoutDescriptor: bind("int cudnnCreateDropoutDescriptor(_Out_ void **desc)"),
    cudnnSetDropoutDescriptor: bind(
      "int cudnnSetDropoutDescriptor(void *desc, void *handle, float dropout, uint64_t states, size_t stateBytes, unsigned long long seed)",
    ),
    cudnnCreateRNNDataDescriptor: bind("int cudnnCreateRNNDataDescriptor(_Out_ void **desc)"),
    cudnnSetRNNDataDescriptor: bind(
      "int cudnnSetRNNDataDescriptor(void *desc, int dataType, int layout, int maxSeqLength, int batchSize, int vectorSize, const void *seqLengthArray, void *paddingFill)",
    ),
    cudnnCreateTensorDescriptor: bind("int cudnnCreateTensorDescriptor(_Out_ void **desc)"),
    cudnnSetTensorNdDescriptor: bind("int cudnnSetTensorNdDescriptor(void *desc, int dataType, int nbDims, const void *dims, const void *strides)"),
    cudnnGetTensorNdDescriptor: bind(
      "int cudnnGetTensorNdDescriptor(void *desc, int nbDimsRequested, _Out_ int *dataType, _Out_ int *nbDims, void *dims, void *strides)",
    ),
    cudnnGetRNNWeightSpaceSize: bind("int cudnnGetRNNWeightSpaceSize(void *handle, void *desc, _Out_ size_t *size)"),
    cudnnGetRNNTempSpaceSizes: bind(
      "int cudnnGetRNNTempSpaceSizes(void *handle, void *desc, int fwdMode, void *xDesc, _Out_ size_t *workSize, _Out_ size_t *reserveSize)",
    ),
    cudnnGetRNNWeightParams: bind(
      "int cudnnGetRNNWeightParams(void *handle, void *desc, int32_t pseudoLayer, size_t wsSize, uint64_t ws, int32_t linLayerID, void *mDesc, _Out_ uint64_t *mAddr, void *bDesc, _Out_ uint64_t *bAddr)",
    ),
    cudnnRNNForward: bind(
      "int cudnnRNNForward(void *handle, void *desc, int fwdMode, uint64_t devSeqLengths, void *xDesc, uint64_t x, void *yDesc, uint64_t y, void *hDesc, uint64_t hx, uint64_t hy, void *cDesc, uint64_t cx, uint64_t cy, size_t wsSize, uint64_t ws, size_t workSize, uint64_t work, size_t reserveSize, uint64_t reserve)",
    ),
    cudnnRNNBackwardData_v8: bind(
      "int cudnnRNNBackwardData_v8(void *handle, void *desc, uint64_t devSeqLengths, void *yDesc, uint64_t y, uint64_t dy, void *xDesc, uint64_t dx, void *hDesc, uint64_t hx, uint64_t dhy, uint64_t dhx, void *cDesc, uint64_t cx, uint64_t dcy, uint64_t dcx, size_t wsSize, uint64_t ws, size_t workSize, uint64_t work, size_t reserveSize, uint64_t reserve)",
    ),
    cudnnRNNBackwardWeights_v8: bind(
      "int cudnnRNNBackwardWeights_v8(void *handle, void *desc, int addGrad, uint64_t devSeqLengths, void *xDesc, uint64_t x, void *hDesc, uint64_t hx, void *yDesc, uint64_t y, size_t wsSize, uint64_t dws, size_t workSize, uint64_t work, size_t reserveSize, uint64_t reserve)",
    ),
  };
}

/** One sequence: its cell (GRU: reset_after) and sizes, batch, time, input features, units. */
export interface RnnShape {
  readonly cell: "lstm" | "gru";
  readonly batch: number;
  readonly time: number;
  readonly input: number;
  readonly units: number;
}

/** Everything a call of one shape, dtype and TF32 setting needs besides its buffers. */
interface RnnPlan {
  readonly rnn: Ptr;
  readonly x: Ptr;
  readonly y: Ptr;
  /** h (and the LSTM's c): [1, batch, units]. */
  readonly state: Ptr;
  readonly wsBytes: number;
  readonly workBytes: number;
  readonly reserveBytes: number;
  /**
   * Element offsets in the weight space of each Keras gate's input matrix, recurrent matrix and input-side
   * bias, then (GRU) its recurrent-side bias.
   */
  readonly offsets: readonly number[];
}

const elementBytes = (dtype: DType) => (dtype === "float64" ? 8 : 4);

/** One device's cuDNN RNN state: the bound functions, the dropout descriptor and the plans. */
class CudnnRnn {
  readonly #plans = new Map<string, RnnPlan | null>();
  #dropout: Ptr = null;

  constructor(
    readonly dnn: Cudnn,
    readonly lib: RnnLib,
  ) {}

  /** The dropout descriptor of a one-layer RNN: no dropout, so no states (made once, no device work). */
  #noDropout(): Ptr {
    if (this.#dropout === null) {
      const d = this.dnn.create("cudnnCreateDropoutDescriptor", this.lib.cudnnCreateDropoutDescriptor);
      this.dnn.check("cudnnSetDropoutDescriptor", this.lib.cudnnSetDropoutDescriptor(d, this.dnn.handle, 0, 0, 0, 0));
      this.#dropout = d;
    }
    return this.#dropout;
  }

  /** The plan of a shape (ws: a weight space of its size or larger, whose addresses give the offsets), or null where cuDNN declines it. */
  plan(s: RnnShape, dtype: DType, tf32: boolean): RnnPlan | null {
    const key = `${s.cell}|${dtype}${dtype === "float32" && tf32 ? "+tf32" : ""}|b${s.batch}|t${s.time}|i${s.input}|u${s.units}`;
    const hit = this.#plans.get(key);
    if (hit !== undefined) return hit;
    let plan: RnnPlan | null = null;
    try {
      plan = this.#make(s, dtype, tf32);
    } catch (e) {
      if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN RNN ${key} declined: ${shortError(e)}\n`);
    }
    this.#plans.set(key, plan);
    return plan;
  }

  #make(s: RnnShape, dtype: DType, tf32: boolean): RnnPlan | null {
    const { lib, dnn } = this;
    const type = dtype === "float32" ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
    // TF32 off: FMA math only (no tensor-core rounding of float32 inputs), as convolutions do.
    const math = dtype === "float32" && !tf32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
    const u = s.units;
    const rnn = dnn.create("cudnnCreateRNNDescriptor", lib.cudnnCreateRNNDescriptor);
    const declined = (call: string, r: unknown): boolean => {
      if (notSupported(r as number)) {
        if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN RNN: ${call} answered ${r as number} (not supported)\n`);
        return true;
      }
      dnn.check(call, r);
      return false;
    };
    const set = lib.cudnnSetRNNDescriptor_v8(
      rnn,
      CUDNN_RNN_ALGO_STANDARD,
      CELLS[s.cell].mode,
      CUDNN_RNN_DOUBLE_BIAS,
      CUDNN_UNIDIRECTIONAL,
      CUDNN_LINEAR_INPUT,
      type,
      type,
      math,
      s.input,
      u,
      u,
      1,
      this.#noDropout(),
      CUDNN_RNN_PADDED_IO_ENABLED,
    );
    if (declined("cudnnSetRNNDescriptor_v8", set)) return null;
    const lengths = new Int32Array(s.batch).fill(s.time);
    const data = (vector: number) => {
      const d = dnn.create("cudnnCreateRNNDataDescriptor", lib.cudnnCreateRNNDataDescriptor);
      dnn.check(
        "cudnnSetRNNDataDescriptor",
        lib.cudnnSetRNNDataDescriptor(d, type, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, s.time, s.batch, vector, lengths, null),
      );
      return d;
    };
    const x = data(s.input);
    const y = data(u);
    const state = dnn.create("cudnnCreateTensorDescriptor", lib.cudnnCreateTensorDescriptor);
    dnn.check("cudnnSetTensorNdDescriptor", lib.cudnnSetTensorNdDescriptor(state, type, 3, Int32Array.of(1, s.batch, u), Int32Array.of(s.batch * u, u, 1)));
    const ws = [0];
    dnn.check("cudnnGetRNNWeightSpaceSize", lib.cudnnGetRNNWeightSpaceSize(dnn.handle, rnn, ws));
    const work = [0];
    const reserve = [0];
    if (declined("cudnnGetRNNTempSpaceSizes", lib.cudnnGetRNNTempSpaceSizes(dnn.handle, rnn, CUDNN_FWD_MODE_TRAINING, x, work, reserve))) return null;
    const wsBytes = Number(ws[0]);
    const offsets = this.#offsets(rnn, wsBytes, s, dtype);
    if (offsets === null) return null;
    return { rnn, x, y, state, wsBytes, workBytes: Number(work[0]), reserveBytes: Number(reserve[0]), offsets };
  }

  /**
   * Where each gate's matrices and biases sit: cudnnGetRNNWeightParams answers addresses inside a weight
   * space at a base address (a nominal one: nothing is read or written there), checked to be the row-major
   * [units, input] and [units, units] matrices and [units] biases the packing kernel writes.
   */
  #offsets(rnn: Ptr, wsBytes: number, s: RnnShape, dtype: DType): number[] | null {
    const { lib, dnn } = this;
    const base = 2 ** 32;
    const eb = elementBytes(dtype);
    const m = dnn.create("cudnnCreateTensorDescriptor", lib.cudnnCreateTensorDescriptor);
    const bd = dnn.create("cudnnCreateTensorDescriptor", lib.cudnnCreateTensorDescriptor);
    const size = (d: Ptr) => {
      const dt = [0];
      const nb = [0];
      const dims = new Int32Array(8);
      const strides = new Int32Array(8);
      dnn.check("cudnnGetTensorNdDescriptor", lib.cudnnGetTensorNdDescriptor(d, 8, dt, nb, dims, strides));
      const used = Array.from(dims.subarray(0, nb[0]));
      return { count: used.reduce((p, v) => p * v, 1), last: used[used.length - 1] };
    };
    const layers = CELLS[s.cell].layers;
    const gates = layers.length;
    // By cuDNN linear layer: [matrix offset, bias offset].
    const at = (a: unknown) => (Number(a) - base) / eb;
    const found: [number, number][] = [];
    for (let id = 0; id < 2 * gates; id++) {
      const mAddr = [0];
      const bAddr = [0];
      dnn.check("cudnnGetRNNWeightParams", lib.cudnnGetRNNWeightParams(dnn.handle, rnn, 0, wsBytes, base, id, m, mAddr, bd, bAddr));
      const cols = id < gates ? s.input : s.units;
      const mat = size(m);
      const bias = size(bd);
      if (mat.count !== s.units * cols || mat.last !== cols || bias.count !== s.units) {
        if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN RNN: linear layer ${id} is not a [${s.units}, ${cols}] matrix and a [${s.units}] bias\n`);
        return null;
      }
      found.push([at(mAddr[0]), at(bAddr[0])]);
    }
    const inputSide = layers.map((id) => found[id]);
    const recurrentSide = layers.map((id) => found[gates + id]);
    // The LSTM's bias is Keras's one [4 units] on the input side (the recurrent side's stays zero); GRU's [2, 3 units] fills both.
    const biases = s.cell === "gru" ? [...inputSide, ...recurrentSide] : inputSide;
    return [...inputSide.map(([w]) => w), ...recurrentSide.map(([w]) => w), ...biases.map(([, b]) => b)];
  }

  /** Writes Keras's kernel, recurrent kernel and bias into a cleared weight space (sources/recurrent.ts). */
  pack(b: KernelContext, p: RnnPlan, s: RnnShape, dtype: DType, k: CudaHandle, r: CudaHandle, bias: CudaHandle, ws: number): void {
    b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(ws, 0, p.wsBytes, b.ctx.stream));
    this.#move(b, "rnn_pack", s, dtype, [k.ptr, r.ptr, bias.ptr, ws], p.offsets);
  }

  /** Reads the weight-space gradient into Keras's dkernel, drecurrent_kernel and dbias. */
  unpack(b: KernelContext, p: RnnPlan, s: RnnShape, dtype: DType, dws: number, dk: CudaHandle, dr: CudaHandle, db: CudaHandle): void {
    this.#move(b, "rnn_unpack", s, dtype, [dws, dk.ptr, dr.ptr, db.ptr], p.offsets);
  }

  #move(b: KernelContext, name: string, s: RnnShape, dtype: DType, ptrs: readonly number[], offsets: readonly number[]): void {
    const gates = CELLS[s.cell].layers.length;
    const biasRows = s.cell === "gru" ? 2 : 1;
    const n = gates * s.units * (s.input + s.units + biasRows);
    const fn = b.fn(`cudnn_rnn.${s.cell}.${dtype}`, name, () => cudnnRnnSource(storageType(dtype), gates, biasRows));
    for (const ptr of ptrs) b.ctx.argPtr(ptr);
    b.ctx.argI64(n);
    b.ctx.argI64(s.input);
    b.ctx.argI64(s.units);
    b.ctx.argI64s(offsets);
    b.launch(fn, b.grid(n));
  }
}

const instances = new WeakMap<Cudnn, CudnnRnn | null>();

/** The device's cuDNN RNN API, or null where cuDNN or its RNN functions are missing. */
function rnnFor(b: KernelContext, dtype: DType): CudnnRnn | null {
  if (dtype !== "float32" && dtype !== "float64") return null;
  const dnn = cudnnFor(b);
  if (dnn === null) return null;
  let r = instances.get(dnn);
  if (r === undefined) {
    try {
      r = new CudnnRnn(dnn, bindRnn(dnn.lib.bind));
    } catch (e) {
      if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN's RNN API not used (${shortError(e)}); LSTM and GRU sequences run on the CPU\n`);
      r = null;
    }
    instances.set(dnn, r);
  }
  return r;
}

/** Scratch buffers of one call, from the caching allocator and returned to it after (stream-ordered). */
class Scratch {
  readonly #held: [number, number][] = [];
  constructor(readonly b: KernelContext) {}
  take(bytes: number, what: string): number {
    if (bytes === 0) return 0;
    const p = this.b.allocator.alloc(bytes, () => `cuDNN RNN ${what} (${bytes} bytes)`);
    this.#held.push([p, bytes]);
    return p;
  }
  /** The sequence lengths on the device, one int32 per batch row, all `time` (cudnnRNN* read them there). */
  lengths(s: RnnShape): number {
    const p = this.take(4 * s.batch, "sequence lengths");
    this.b.ctx.api.check("cuMemsetD32Async", this.b.ctx.api.lib.cuMemsetD32Async(p, s.time, s.batch, this.b.ctx.stream));
    return p;
  }
  release(): void {
    for (const [p, bytes] of this.#held) this.b.allocator.free(p, bytes);
  }
}

/** A sequence's sizes when cuDNN can take it (a step and a row at least, int-sized tensors). */
function fits(s: RnnShape): boolean {
  const limit = 2 ** 31 - 1;
  return s.batch > 0 && s.time > 0 && s.input > 0 && s.units > 0 && s.batch * s.time * Math.max(s.input, s.units) <= limit;
}

/** A sequence's initial states, weights and (the gradient) output gradients; c0, dc: the LSTM's only. */
interface RnnArgs {
  readonly x: CudaHandle;
  readonly h0: CudaHandle;
  readonly c0: CudaHandle | null;
  readonly k: CudaHandle;
  readonly r: CudaHandle;
  readonly bias: CudaHandle;
}

/** The forward call: y, h (and the LSTM's c) and cuDNN's reserve space (as elements of the dtype), or null where cuDNN is not used. */
function forward(b: KernelContext, s: RnnShape, a: RnnArgs, op: string): { y: CudaHandle; h: CudaHandle; c: CudaHandle | null; reserve: CudaHandle } | null {
  const dtype = a.x.dtype;
  const rnn = fits(s) ? rnnFor(b, dtype) : null;
  const p = rnn?.plan(s, dtype, getSetting("tf32")) ?? null;
  if (rnn === null || p === null) return null;
  const eb = elementBytes(dtype);
  const y = b.empty(dtype, [s.batch, s.time, s.units], op);
  const h = b.empty(dtype, [s.batch, s.units], op);
  const c = a.c0 === null ? null : b.empty(dtype, [s.batch, s.units], op);
  const reserve = b.empty(dtype, [Math.ceil(p.reserveBytes / eb)], op);
  const scratch = new Scratch(b);
  try {
    const ws = scratch.take(p.wsBytes, "weight space");
    const work = scratch.take(p.workBytes, "workspace");
    rnn.pack(b, p, s, dtype, a.k, a.r, a.bias, ws);
    rnn.dnn.check(
      "cudnnRNNForward",
      rnn.lib.cudnnRNNForward(
        rnn.dnn.handle,
        p.rnn,
        CUDNN_FWD_MODE_TRAINING,
        scratch.lengths(s),
        p.x,
        a.x.ptr,
        p.y,
        y.ptr,
        p.state,
        a.h0.ptr,
        h.ptr,
        p.state,
        a.c0?.ptr ?? 0,
        c?.ptr ?? 0,
        p.wsBytes,
        ws,
        p.workBytes,
        work,
        p.reserveBytes,
        reserve.ptr,
      ),
    );
  } finally {
    scratch.release();
  }
  rnn.dnn.stats.rnnForward++;
  return { y, h, c, reserve };
}

/**
 * The gradient calls: dx, dh0 (and the LSTM's dc0), dkernel, drecurrent_kernel, dbias, or null where cuDNN
 * is not used or the reserve is not one cuDNN made for this shape (the op then runs on the CPU, which checks it).
 */
function backward(
  b: KernelContext,
  s: RnnShape,
  a: RnnArgs,
  [y, reserve, dy, dh, dc]: readonly (CudaHandle | null)[],
  op: string,
): { dx: CudaHandle; dh0: CudaHandle; dc0: CudaHandle | null; dk: CudaHandle; dr: CudaHandle; db: CudaHandle } | null {
  const dtype = a.x.dtype;
  const rnn = fits(s) ? rnnFor(b, dtype) : null;
  const p = rnn?.plan(s, dtype, getSetting("tf32")) ?? null;
  if (rnn === null || p === null || y === null || reserve === null || dy === null || dh === null) return null;
  if (reserve.shape.length !== 1 || reserve.shape[0] !== Math.ceil(p.reserveBytes / elementBytes(dtype))) return null;
  const g = a.k.shape[1];
  const dx = b.empty(dtype, [s.batch, s.time, s.input], op);
  const dh0 = b.empty(dtype, [s.batch, s.units], op);
  const dc0 = a.c0 === null ? null : b.empty(dtype, [s.batch, s.units], op);
  const dk = b.empty(dtype, [s.input, g], op);
  const dr = b.empty(dtype, [s.units, g], op);
  const db = b.empty(dtype, [...a.bias.shape], op);
  const scratch = new Scratch(b);
  try {
    const ws = scratch.take(p.wsBytes, "weight space");
    const dws = scratch.take(p.wsBytes, "weight-space gradient");
    const work = scratch.take(p.workBytes, "workspace");
    const lengths = scratch.lengths(s);
    rnn.pack(b, p, s, dtype, a.k, a.r, a.bias, ws);
    const { handle } = rnn.dnn;
    rnn.dnn.check(
      "cudnnRNNBackwardData_v8",
      rnn.lib.cudnnRNNBackwardData_v8(
        handle,
        p.rnn,
        lengths,
        p.y,
        y.ptr,
        dy.ptr,
        p.x,
        dx.ptr,
        p.state,
        a.h0.ptr,
        dh.ptr,
        dh0.ptr,
        p.state,
        a.c0?.ptr ?? 0,
        dc?.ptr ?? 0,
        dc0?.ptr ?? 0,
        p.wsBytes,
        ws,
        p.workBytes,
        work,
        p.reserveBytes,
        reserve.ptr,
      ),
    );
    // The weight gradient is added to (cuDNN 9 has no SET mode for RNNs): it starts from zeros.
    b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dws, 0, p.wsBytes, b.ctx.stream));
    rnn.dnn.check(
      "cudnnRNNBackwardWeights_v8",
      rnn.lib.cudnnRNNBackwardWeights_v8(
        handle,
        p.rnn,
        CUDNN_WGRAD_MODE_ADD,
        lengths,
        p.x,
        a.x.ptr,
        p.state,
        a.h0.ptr,
        p.y,
        y.ptr,
        p.wsBytes,
        dws,
        p.workBytes,
        work,
        p.reserveBytes,
        reserve.ptr,
      ),
    );
    rnn.unpack(b, p, s, dtype, dws, dk, dr, db);
  } finally {
    scratch.release();
  }
  rnn.dnn.stats.rnnBackward++;
  return { dx, dh0, dc0, dk, dr, db };
}

/** LSTMSequence through cuDNN: [y, h, c, reserve], or null where cuDNN is not used (the op then runs on the CPU). */
export function cudnnLstmForward(b: KernelContext, s: RnnShape, [x, h0, c0, k, r, bias]: readonly CudaHandle[]): CudaHandle[] | null {
  const o = forward(b, s, { x, h0, c0, k, r, bias }, "LSTMSequence");
  return o && [o.y, o.h, o.c as CudaHandle, o.reserve];
}

/** LSTMSequenceGrad through cuDNN: [dx, dh0, dc0, dkernel, drecurrent_kernel, dbias], or null (the op then runs on the CPU). */
export function cudnnLstmBackward(b: KernelContext, s: RnnShape, [x, h0, c0, k, r, bias, y, reserve, dy, dh, dc]: readonly CudaHandle[]): CudaHandle[] | null {
  const o = backward(b, s, { x, h0, c0, k, r, bias }, [y, reserve, dy, dh, dc], "LSTMSequenceGrad");
  return o && [o.dx, o.dh0, o.dc0 as CudaHandle, o.dk, o.dr, o.db];
}

/** GRUSequence (reset_after) through cuDNN's GRU: [y, h, reserve], or null where cuDNN is not used (the op then runs on the CPU). */
export function cudnnGruForward(b: KernelContext, s: RnnShape, [x, h0, k, r, bias]: readonly CudaHandle[]): CudaHandle[] | null {
  const o = forward(b, s, { x, h0, c0: null, k, r, bias }, "GRUSequence");
  return o && [o.y, o.h, o.reserve];
}

/** GRUSequenceGrad (reset_after) through cuDNN: [dx, dh0, dkernel, drecurrent_kernel, dbias], or null (the op then runs on the CPU). */
export function cudnnGruBackward(b: KernelContext, s: RnnShape, [x, h0, k, r, bias, y, reserve, dy, dh]: readonly CudaHandle[]): CudaHandle[] | null {
  const o = backward(b, s, { x, h0, c0: null, k, r, bias }, [y, reserve, dy, dh, null], "GRUSequenceGrad");
  return o && [o.dx, o.dh0, o.dk, o.dr, o.db];
}
