/**
 * Eager memory state: the tf.tidy scopes and the live-tensor count. Mode, device scopes and seeds are
 * process-wide state in core/context.ts.
 */

/** What a tidy scope holds: eager tensors (eager/tensor.ts), seen structurally so this file imports none. */
export interface Scoped {
  readonly kept: boolean;
  dispose(): void;
  guardLeak(): void;
}
export interface TidyScope {
  readonly tensors: Scoped[];
}

export const eagerState = {
  tidyScopes: [] as TidyScope[],
  liveTensors: 0,
};

/** Counts a new tensor and puts it in the innermost tidy scope; false when no scope will answer for it. */
export function trackTensor(t: Scoped): boolean {
  eagerState.liveTensors++;
  const scope = eagerState.tidyScopes[eagerState.tidyScopes.length - 1];
  if (!scope) return false;
  scope.tensors.push(t);
  return true;
}

export function pushTidy(): TidyScope {
  const s: TidyScope = { tensors: [] };
  eagerState.tidyScopes.push(s);
  return s;
}
export function popTidy(s: TidyScope): void {
  const top = eagerState.tidyScopes.pop();
  if (top !== s) throw new Error("tsflow: tidy scopes closed out of order");
}
/** Moves a tensor tidy returned into the enclosing scope; false at the outermost level. */
export function adoptIntoParentScope(t: Scoped): boolean {
  const scope = eagerState.tidyScopes[eagerState.tidyScopes.length - 1];
  if (!scope) return false;
  scope.tensors.push(t);
  return true;
}
