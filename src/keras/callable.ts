/**
 * Callable instances for Keras objects that Python calls like functions (`loss_fn(y_true, y_pred)`,
 * `metric(y_true, y_pred)`, `schedule(step)`), with the technique of engine/layer.ts: the constructor returns
 * a function whose prototype is the subclass's prototype, so subclass fields and methods land on it and
 * `instanceof` holds. `target` is the method the call forwards to.
 */
export function callableInstance<T extends object>(proto: object, target: (self: T, args: unknown[]) => unknown): T {
  const self = ((...args: unknown[]) => target(self as unknown as T, args)) as unknown as T;
  // A function's own `name` and `length` would shadow the fields of the same names (a loss's `name`).
  delete (self as unknown as { name?: string }).name;
  delete (self as unknown as { length?: number }).length;
  Object.setPrototypeOf(self, proto);
  return self;
}
