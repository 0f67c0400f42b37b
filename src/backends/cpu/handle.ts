import { DType, Values, valuesBytes } from "../../core/dtype.js";
import type { Backend, Handle } from "../../core/backend.js";

/** Shared host storage with a reference count, so aliases (reshape, identity, reads) need no copy. */
export class Storage {
  refs = 1;
  /** True once the array is visible outside tsflow (dataSync) or came from outside (write): never recycled. */
  exposed = false;
  constructor(readonly values: Values) {}
}

export class CpuHandle implements Handle {
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    readonly dtype: DType,
    readonly shape: readonly number[],
  ) {}
  get values(): Values {
    return this.storage.values;
  }
}

export function storageBytes(s: Storage): number {
  return valuesBytes(s.values);
}
