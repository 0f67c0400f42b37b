import { FailedPreconditionError, InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { EagerTensor } from "../eager/tensor.js";
import type { Tensor } from "../core/tensor.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { ArgsOf, body, declare, isOptions, K, kind, optional, OptionsOf, param, parseArgs, positionalOnly, signature, withDefault } from "../core/signature.js";
import { installEval } from "../graph/eval_hook.js";
import { convertFeeds, FeedDict } from "./feeds.js";
import { Fetch, FetchResult, flattenFetches } from "./fetches.js";
import { Plan, planToString } from "./plan.js";
import { compilePlan, settingsKey } from "./compile.js";
import { Executor } from "./executor.js";
import { ResourceStore, VARIABLE } from "./resources.js";
import type { Handle } from "../core/backend.js";
import { ConfigProto, RunMetadata, RunOptions } from "./session_config.js";

export { ConfigProto, RunMetadata, RunOptions } from "./session_config.js";

export type SessionOptions = OptionsOf<typeof sessionParams>;

let defaultSession: Session | null = null;
export function getDefaultSession(): Session | null {
  return defaultSession;
}

const sessionParams = [
  withDefault("target", kind<string>("string"), "", 'The execution engine: "" (this process). Remote targets ("grpc://...") are not implemented yet.'),
  optional("graph", kind<Graph>("Graph"), "The graph to run (default: the default graph)."),
  optional("config", kind<Partial<ConfigProto>>("ConfigProto"), "Session options: a tf.ConfigProto (or, by name, its fields as an object)."),
] as const;
const sessionSignature = signature("compat.v1.Session", "Runs the ops of a graph (TensorFlow 1).", sessionParams, {
  graph: true,
  args: (tf: { ConfigProto: typeof ConfigProto }) => ["", undefined, new tf.ConfigProto({ allowSoftPlacement: true })],
});
const interactiveSessionSignature = signature("compat.v1.InteractiveSession", "A Session that makes itself the default session when created.", sessionParams, {
  graph: true,
  args: (tf: { ConfigProto: typeof ConfigProto }) => ["", undefined, new tf.ConfigProto({ allowSoftPlacement: true })],
});

type RunOptionsLike = RunOptions | { traceLevel?: number };
const runSignature = signature(
  "compat.v1.Session.run",
  "Runs the subgraph the fetches need, with the feeds substituted; returns the fetched values in the structure of fetches.",
  [
    positionalOnly(param("fetches", kind<Fetch>("Fetch"), "A tensor, op, name, or a nested array or object of them.")),
    positionalOnly(optional("feedDict", kind<FeedDict>("FeedDict"), "Values for placeholders (or any tensor): a Map or an object keyed by tensor name.")),
    optional("options", kind<RunOptionsLike>("RunOptions"), "A tf.RunOptions (or its fields as a plain object): traceLevel FULL_TRACE fills runMetadata."),
    optional("runMetadata", kind<RunMetadata>("RunMetadata"), "Filled with the step's statistics when tracing."),
  ],
);
/** A plain object in Session.run's options slot holding only RunOptions fields is a RunOptions; else it names arguments. */
const RUN_OPTION_FIELDS = new Set(["traceLevel", "timeoutInMs", "interOpThreadPool", "outputPartitionGraphs", "reportTensorAllocationsUponOom"]);
function isRunOptionsFields(o: object): boolean {
  for (const k in o) if (!RUN_OPTION_FIELDS.has(k)) return false;
  return Object.keys(o).length > 0;
}
const asDefaultSignature = signature(
  "compat.v1.Session.as_default",
  "Makes this the session that tensor.eval() and op.run() use, for the duration of the body.",
  [body("body", K.callback, "The `with` block; its result is returned.")],
);

/**
 * tf.compat.v1.Session: runs parts of a graph; holds the values of its variables. The public face: plans
 * are compiled by runtime/compile.ts (cached here per signature), run by runtime/executor.ts, and the
 * session's state (variable values) lives in its resource store (runtime/resources.ts).
 */
export class Session {
  readonly graph: Graph;
  readonly config: Partial<ConfigProto>;
  readonly target: string;
  #closed = false;
  readonly #resources = new ResourceStore();
  readonly #executor = new Executor(this.#resources);
  readonly #plans = new Map<string, Plan>();
  /** Ops whose placement was logged (ConfigProto.logDevicePlacement prints each once). */
  readonly #placed = new Set<Operation>();

  constructor(...args: ArgsOf<typeof sessionSignature>) {
    const [target, graph, config] = parseArgs(sessionSignature, args);
    if (target !== "") {
      throw new UnimplementedError(
        `tf.Session("${target}"): remote sessions are not implemented yet in tsflow; use new tf.Session() (target "") to run in this process`,
      );
    }
    this.target = target;
    this.graph = graph ?? getDefaultGraph();
    this.config = config ?? {};
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Makes this the session that tensor.eval() and op.run() use, for the duration of fn. */
  asDefault<T>(fn: (() => T) | { body: () => T }): T {
    if (typeof fn !== "function") [fn] = parseArgs(asDefaultSignature, [fn]) as [() => T];
    const saved = defaultSession;
    defaultSession = this;
    try {
      return (fn as () => T)();
    } finally {
      defaultSession = saved;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#executor.close();
    this.#resources.clear();
    this.#executor.releaseConstants();
    this.#plans.clear();
    if (defaultSession === this) defaultSession = null;
  }
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Runs the subgraph `fetches` need, with `feedDict` substituted, and returns the fetched values in the
   * structure of `fetches` (operations give null). Either the whole step happens or, on error, no
   * variable changes.
   */
  run<const F extends Fetch>(
    fetches: F,
    feedDict?: FeedDict,
    options?: RunOptionsLike | { options?: RunOptionsLike; runMetadata?: RunMetadata },
    runMetadata?: RunMetadata,
  ): FetchResult<F> {
    // Named options (`{ options, runMetadata }`) only when the third argument is a plain object that is not
    // RunOptions' fields: a positional call pays one comparison.
    if (options !== undefined && isOptions(options) && !isRunOptionsFields(options)) {
      [, , options, runMetadata] = parseArgs(runSignature, [fetches, feedDict, options, runMetadata]);
    }
    if (this.#closed) throw new FailedPreconditionError("Attempted to use a closed Session.");
    const { leaves, rebuild } = flattenFetches(fetches, this.graph);
    const feeds = convertFeeds(feedDict, this.graph);
    try {
      const fetchTensors = leaves.filter((l): l is SymbolicTensor => l instanceof SymbolicTensor);
      const targets = leaves.filter((l): l is Operation => l instanceof Operation);
      const plan = this.#plan(fetchTensors, targets, [...feeds.keys()]);
      const results = this.#executor.run(plan, feeds, options as RunOptionsLike | undefined, runMetadata);
      let k = 0;
      return rebuild(leaves.map((l) => (l instanceof SymbolicTensor ? new EagerTensor(results[k++]) : null))) as FetchResult<F>;
    } finally {
      for (const h of feeds.values()) h.backend.dispose(h);
    }
  }

  /**
   * The buffer holding the value of the variable declared by `variableOp` (a VariableV2 node) in this
   * session, or undefined while it is uninitialized here. For checkpoints, which save straight from it and
   * restore into it in place (Backend.hostValues) instead of copying values through a step.
   */
  variableHandle(variableOp: Operation): Handle | undefined {
    if (this.#closed) throw new FailedPreconditionError("Attempted to use a closed Session.");
    return this.#resources.table(VARIABLE).get(variableOp);
  }

  /** The compiled plan for a signature, printable for debugging: one line per step (runtime/plan.ts). */
  describePlan(fetches: Fetch, feeds: readonly Tensor[] = []): string {
    const { leaves } = flattenFetches(fetches, this.graph);
    return planToString(
      this.#plan(
        leaves.filter((l): l is SymbolicTensor => l instanceof SymbolicTensor),
        leaves.filter((l): l is Operation => l instanceof Operation),
        feeds.map((t) => flattenFetches(t, this.graph).leaves[0] as SymbolicTensor),
      ),
    );
  }

  #plan(fetches: readonly SymbolicTensor[], targets: readonly Operation[], fed: readonly SymbolicTensor[]): Plan {
    const key = `${fetches.map((t) => t.name).join(",")}|${targets.map((o) => o.name).join(",")}|${fed
      .map((t) => t.name)
      .sort()
      .join(",")}|${settingsKey()}`;
    const cached = this.#plans.get(key);
    if (cached) return cached;
    const plan = compilePlan(fetches, targets, fed, {
      allowSoftPlacement: this.config.allowSoftPlacement ?? false,
      logDevicePlacement: this.config.logDevicePlacement ?? false,
      logged: this.#placed,
    });
    this.#plans.set(key, plan);
    return plan;
  }
}

/** tf.compat.v1.InteractiveSession: installs itself as the default session on construction. */
export class InteractiveSession extends Session {
  constructor(...args: ArgsOf<typeof sessionSignature>) {
    super(...args);
    defaultSession = this;
  }
}

installEval((fetch, feedDict, session) => {
  const s = (session as Session | undefined) ?? defaultSession;
  if (!s) {
    throw new InvalidArgumentError(
      "Cannot evaluate tensor using `eval()`: No default session is registered. Use `sess.asDefault(() => ...)`, a tf.InteractiveSession, or pass an explicit session to `eval(feedDict, sess)`",
    );
  }
  const run = s.run.bind(s) as (f: Fetch, d?: FeedDict) => unknown;
  return run(fetch as Fetch, feedDict as FeedDict | undefined);
});

declare(Session, sessionSignature);
declare(Session.prototype.run, runSignature);
declare(Session.prototype.asDefault, asDefaultSignature);
declare(InteractiveSession, interactiveSessionSignature);
