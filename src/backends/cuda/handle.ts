import type { DType, Values } from "../../core/dtype.js";
import type { Backend, Handle } from "../../core/backend.js";

/** Device memory of one or more handles (aliases share it), with a host copy when one is known. */
export class DeviceStorage {
  refs = 1;
  /** Owned by the backend (the scalar cache), not counted among the buffers tensors hold. */
  internal = false;
  constructor(
    /**
     * CUdeviceptr; 0 for empty tensors and host-only dtypes (strings). Changes only when a captured Session
     * step moves other holders of its buffer to a copy before a replay overwrites it (CudaBackend.detach).
     */
    public ptr: number,
    readonly bytes: number,
    /**
     * The values on the host, when known without a copy: what write() was given, or what a read brought back.
     * Device buffers are immutable once written, so this stays true; reads of it need no synchronisation.
     */
    public host: Values | null,
  ) {}
}

export class CudaHandle implements Handle {
  constructor(
    readonly backend: Backend,
    readonly storage: DeviceStorage,
    readonly dtype: DType,
    readonly shape: readonly number[],
  ) {}
  get ptr(): number {
    return this.storage.ptr;
  }
}
