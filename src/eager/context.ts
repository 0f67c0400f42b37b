import type { Backend } from "../core/backend.js";
import type { EagerTensor } from "./tensor.js";

/**
 * Process-wide execution state: which mode is on, the eager tidy scopes, the live-tensor ledger.
 * Graph-building state (name scopes, control dependencies, devices) lives on each Graph, as in TensorFlow.
 */
interface TidyScope {
  tensors: EagerTensor[];
}

class Context {
  eagerEnabled = true;
  /** Graphs made default by g.asDefault(); non-empty means graph mode. */
  readonly graphStack: unknown[] = [];
  readonly tidyScopes: TidyScope[] = [];
  liveTensors = 0;
  nextTensorId = 1;
  /** Device requested by tf.device() while executing eagerly. */
  readonly eagerDeviceStack: string[] = [];
  globalSeed: number | null = null;
}

export const ctx = new Context();

let backendProvider: (() => Backend) | null = null;
export function setBackendProvider(f: () => Backend): void {
  backendProvider = f;
}
export function defaultBackend(): Backend {
  if (!backendProvider) throw new Error("tsflow: no backend registered");
  return backendProvider();
}

export function executingEagerly(): boolean {
  return ctx.eagerEnabled && ctx.graphStack.length === 0;
}

/** Counts a new tensor and puts it in the innermost tidy scope; false when no scope will answer for it. */
export function trackTensor(t: EagerTensor): boolean {
  ctx.liveTensors++;
  const scope = ctx.tidyScopes[ctx.tidyScopes.length - 1];
  if (!scope) return false;
  scope.tensors.push(t);
  return true;
}

export function pushTidy(): TidyScope {
  const s: TidyScope = { tensors: [] };
  ctx.tidyScopes.push(s);
  return s;
}
export function popTidy(s: TidyScope): void {
  const top = ctx.tidyScopes.pop();
  if (top !== s) throw new Error("tsflow: tidy scopes closed out of order");
}
/** Moves a tensor tidy returned into the enclosing scope; false at the outermost level. */
export function adoptIntoParentScope(t: EagerTensor): boolean {
  const scope = ctx.tidyScopes[ctx.tidyScopes.length - 1];
  if (!scope) return false;
  scope.tensors.push(t);
  return true;
}
