/**
 * tensor.eval() and op.run() need the Session, which depends on the graph classes; the runtime installs
 * the implementation here so the graph layer does not import the runtime.
 */
type EvalFn = (fetch: unknown, feedDict: unknown, session: unknown) => unknown;
let impl: EvalFn | null = null;

export function installEval(f: EvalFn): void {
  impl = f;
}
export function evalInSession(fetch: unknown, feedDict: unknown, session: unknown): unknown {
  if (!impl) throw new Error("tsflow: runtime not loaded");
  return impl(fetch, feedDict, session);
}
