/** Runs fn with some fields of a settings object (executorSettings, cudaSettings) changed, restoring them after. */
export function withSettings<S extends object, T>(target: S, patch: Partial<S>, fn: () => T): T {
  const saved: Partial<S> = {};
  for (const k of Object.keys(patch) as (keyof S)[]) saved[k] = target[k];
  Object.assign(target, patch);
  try {
    return fn();
  } finally {
    Object.assign(target, saved);
  }
}
