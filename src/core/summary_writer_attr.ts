/**
 * The `writer` attr of a WriteSummary node (tf.summary inside a tf.function): a host-side writer built by
 * the summary layer. It lives here, at the bottom, because three layers that may not import the summary
 * layer handle it: runtime/ runs it (runtime/resources.ts SummarySink adds `write`), graph/ writes it into a
 * GraphDef or FunctionDef as the string attr `_tsflow_summary` (its `spec`) and reads it back, through the
 * factory the summary layer registers here, into a writer that writes to the default writer of call time
 * (a SavedModel does not save a summary writer).
 */
import { UnimplementedError } from "./errors.js";

export interface SummaryWriterAttr {
  readonly name: string;
  /** What the write needs besides its inputs (the summary kind and its options), serialized. */
  readonly spec: string;
}

/** The NodeDef attr holding a WriteSummary's spec (TensorFlow ignores attrs starting with "_"). */
export const SUMMARY_SPEC_ATTR = "_tsflow_summary";

let factory: ((spec: string, what: string) => SummaryWriterAttr) | null = null;

/** Registered by the summary layer: rebuilds a writer attr from its spec. */
export function registerSummaryWriterFactory(f: (spec: string, what: string) => SummaryWriterAttr): void {
  factory = f;
}

/** The writer attr of an imported WriteSummary node (a GraphDef or SavedModel function written by tsflow). */
export function summaryWriterFromSpec(spec: string, what: string): SummaryWriterAttr {
  if (factory === null) throw new UnimplementedError(`${what}: WriteSummary needs the summary layer, which is not loaded`);
  return factory(spec, what);
}
