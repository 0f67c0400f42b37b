import { InternalError } from "../../core/errors.js";
import { TYPE } from "./cudnn_backend_enums.js";
import type { Fn, Ptr } from "./ffi.js";

/**
 * cuDNN 9's backend API (cudnn_graph.h) through koffi, bound from the same libcudnn.so.9 as the legacy
 * calls: descriptors made, given attributes, finalized, read and destroyed, and execution plans run.
 * Attribute values travel as typed arrays whose memory cuDNN reads or fills: int64 values as
 * BigInt64Array, 4-byte enums as Int32Array, floats as Float32Array, and handles, descriptors and device
 * pointers as 64-bit words (BigUint64Array). Every failing call throws a BackendCallError naming it and
 * cuDNN's status; cudnn_graph.ts turns those into a fallback to the legacy API.
 */

export class BackendCallError extends InternalError {
  constructor(
    readonly call: string,
    readonly status: number,
    statusName: string,
  ) {
    super(`cuDNN error in ${call}: ${statusName} (${status})`);
  }
}

/**
 * For tests: `failCall` makes the first backend call whose name contains it fail with
 * CUDNN_STATUS_NOT_SUPPORTED (3000), as cuDNN would (`untimed`: plans are made as while capturing).
 */
export const cudnnGraphTesting: { failCall: string | null; untimed: boolean } = { failCall: null, untimed: false };

interface Api {
  create: Fn;
  destroy: Fn;
  finalize: Fn;
  set: Fn;
  get: Fn;
  execute: Fn;
}

/** The six functions, or a reason why they cannot be bound. */
export function bindBackend(bind: (signature: string) => Fn): Api | string {
  try {
    return {
      create: bind("int cudnnBackendCreateDescriptor(int type, _Out_ void **desc)"),
      destroy: bind("int cudnnBackendDestroyDescriptor(void *desc)"),
      finalize: bind("int cudnnBackendFinalize(void *desc)"),
      set: bind("int cudnnBackendSetAttribute(void *desc, int name, int type, int64_t count, const void *values)"),
      get: bind("int cudnnBackendGetAttribute(void *desc, int name, int type, int64_t requested, void *count, void *values)"),
      execute: bind("int cudnnBackendExecute(void *handle, void *plan, void *variantPack)"),
    };
  } catch (e) {
    return e instanceof Error ? e.message.split("\n")[0] : String(e);
  }
}

const NOT_SUPPORTED = 3000;

/** 64-bit words of pointers: descriptors and handles (bigint from koffi) or device addresses (number). */
export const words = (ptrs: readonly (Ptr | number)[]): BigUint64Array => BigUint64Array.from(ptrs, (p) => (p === null ? 0n : BigInt(p)));

export class Backend {
  readonly #count = new BigInt64Array(1);

  constructor(
    readonly api: Api,
    /** cuDNN's name of a status (cudnnGetErrorString). */
    readonly statusName: (status: number) => string,
  ) {}

  #check(call: string, r: unknown): void {
    const f = cudnnGraphTesting.failCall;
    const status = f !== null && call.includes(f) ? NOT_SUPPORTED : (r as number);
    if (status !== 0) throw new BackendCallError(call, status, this.statusName(status));
  }

  create(type: number, what: string): Ptr {
    const out: Ptr[] = [null];
    this.#check(`cudnnBackendCreateDescriptor(${what})`, this.api.create(type, out));
    return out[0];
  }

  /** Destroys descriptors; a failure there leaks one descriptor at most, so it is not reported. */
  destroy(descs: readonly Ptr[]): void {
    for (const d of descs) if (d !== null) this.api.destroy(d);
  }

  finalize(d: Ptr, what: string): void {
    this.#check(`cudnnBackendFinalize(${what})`, this.api.finalize(d));
  }

  set(d: Ptr, name: number, type: number, values: BigInt64Array | BigUint64Array | Int32Array | Float32Array, what: string): void {
    this.#check(`cudnnBackendSetAttribute(${what})`, this.api.set(d, name, type, values.length, values));
  }

  setInt64(d: Ptr, name: number, values: readonly number[], what: string, type: number = TYPE.INT64): void {
    this.set(d, name, type, BigInt64Array.from(values, BigInt), what);
  }

  /** Reads up to `into.length` elements; returns how many there are. */
  get(d: Ptr, name: number, type: number, into: BigInt64Array | BigUint64Array | Int32Array | null, what: string): number {
    this.#check(`cudnnBackendGetAttribute(${what})`, this.api.get(d, name, type, into === null ? 0 : into.length, this.#count, into));
    return Number(this.#count[0]);
  }

  /**
   * Descriptors an attribute holds (engine configs of a heuristic, the engine of a config): cuDNN fills
   * descriptors made here, of `descType`, at most `max`, all of them when max is omitted.
   */
  getDescriptors(d: Ptr, name: number, descType: number, what: string, max = Number.POSITIVE_INFINITY): Ptr[] {
    const n = Math.min(this.get(d, name, TYPE.BACKEND_DESCRIPTOR, null, what), max);
    if (n <= 0) return [];
    const made: Ptr[] = [];
    try {
      for (let i = 0; i < n; i++) made.push(this.create(descType, what));
      const got = this.get(d, name, TYPE.BACKEND_DESCRIPTOR, words(made), what);
      this.destroy(made.splice(Math.min(got, n)));
      return made;
    } catch (e) {
      this.destroy(made);
      throw e;
    }
  }

  execute(handle: Ptr, plan: Ptr, pack: Ptr): void {
    this.#check("cudnnBackendExecute", this.api.execute(handle, plan, pack));
  }
}
