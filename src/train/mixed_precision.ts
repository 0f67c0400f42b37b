/**
 * tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(opt, loss_scale): TensorFlow 1's
 * loss-scaling wrapper of a tf.compat.v1.train optimizer. computeGradients differentiates the loss times
 * the scale and divides the gradients by it; applyGradients applies them with the wrapped optimizer only
 * when all are finite (in a graph: train/skip_step.ts, a select of every variable the step writes) and, with "dynamic" scaling,
 * updates the scale (TensorFlow's DynamicLossScale: 2^15 to start, doubled after 2000 finite steps, halved
 * on overflow). minimize is the base class's: computeGradients then applyGradients.
 */
import { executingEagerly, tracingFunction } from "../core/context.js";
import { InvalidArgumentError } from "../core/errors.js";
import { ArgsOf, declare, kind, param, parseArgs, signature } from "../core/signature.js";
import { Tensor } from "../core/tensor.js";
import { tidy } from "../eager/memory.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import type { Graph } from "../graph/graph.js";
import { FuncGraph } from "../graph/func_graph.js";
import type { Operation } from "../graph/operation.js";
import { group } from "../graph/state_ops.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { constant } from "../ops/creation.js";
import { liftOutOfFunctionGraphs } from "../core/context.js";
import { withoutRecording } from "../eager/tape.js";
import { Variable } from "../variables/variable.js";
import { allFinite, DEFAULT_GROWTH_STEPS, DEFAULT_INITIAL_SCALE, scaleLoss, unscaleGradients, updateLossScale } from "./loss_scale.js";
import { applyIfFinite } from "./skip_step.js";
import { applyGradientsSignature, computeGradientsSignature, type GradAndVar, type Loss, Optimizer } from "./optimizer.js";

type LossScaleArg = "dynamic" | number;

const mpSignature = signature(
  "compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer",
  "Wraps a TensorFlow 1 optimizer with loss scaling: scaled gradients, steps with non-finite gradients skipped.",
  [
    param("opt", kind<Optimizer>("Optimizer"), "The tf.compat.v1.train optimizer to wrap."),
    param("lossScale", kind<LossScaleArg>('"dynamic" | number'), '"dynamic" (adjusted as training goes), or a fixed scale.'),
  ],
  { args: (tf) => [new tf.train.GradientDescentOptimizer(0.1), "dynamic"] },
);

interface ScaleState {
  scale: Variable;
  goodSteps: Variable;
}

export class MixedPrecisionLossScaleOptimizer extends Optimizer {
  readonly #opt: Optimizer;
  readonly #dynamic: boolean;
  readonly #initial: number;
  /** The scale's variables per graph (null: eager variables). */
  readonly #states = new Map<Graph | null, ScaleState>();

  constructor(...args: ArgsOf<typeof mpSignature>) {
    const [opt, lossScale] = parseArgs(mpSignature, args);
    if (!(opt instanceof Optimizer)) throw new InvalidArgumentError(`"opt" must be an instance of Optimizer, but got: ${String(opt)}`);
    if (opt instanceof MixedPrecisionLossScaleOptimizer) throw new InvalidArgumentError("MixedPrecisionLossScaleOptimizer cannot wrap another one");
    const dynamic = lossScale === "dynamic";
    if (!dynamic && !(typeof lossScale === "number" && Number.isFinite(lossScale) && lossScale >= 1)) {
      throw new InvalidArgumentError(`Invalid loss_scale: ${String(lossScale)}; expected "dynamic" or a finite number >= 1`);
    }
    super(opt.useLocking, opt.getName());
    this.#opt = opt;
    this.#dynamic = dynamic;
    this.#initial = dynamic ? DEFAULT_INITIAL_SCALE : (lossScale as number);
  }

  /** The loss scale's variables where `home`'s variables live, made there (free of open control dependencies) on first use. */
  #state(home: Graph | null): ScaleState {
    let s = this.#states.get(home);
    if (!s) {
      const make = (): ScaleState => ({
        scale: new Variable(constant(this.#initial, { dtype: "float32" }), { name: "current_loss_scale", trainable: false }),
        goodSteps: new Variable(constant(0, { dtype: "int64" }), { name: "good_steps", trainable: false, dtype: "int64" }),
      });
      s = home === null ? liftOutOfFunctionGraphs(() => withoutRecording(make)) : home.asDefault(() => home.controlDependencies(null, make));
      this.#states.set(home, s);
    }
    return s;
  }
  /** The graph whose variables a step here updates (null: eager ones, also while tracing a tf.function). */
  #home(): Graph | null {
    return executingEagerly() || tracingFunction() ? null : rootOf(getDefaultGraph());
  }

  /** The current loss scale (in a graph, its variable's value there). */
  get lossScale(): Tensor {
    return this.#state(this.#home()).scale.value();
  }

  override computeGradients(...args: ArgsOf<typeof computeGradientsSignature>): GradAndVar[] {
    const [loss, varList, gateGradients, aggregationMethod, colocateGradientsWithOps, gradLoss] = parseArgs(computeGradientsSignature, args);
    const home = typeof loss === "function" ? this.#home() : loss instanceof SymbolicTensor ? rootOf(loss.graph) : null;
    const { scale } = this.#state(home);
    const scaled: Loss =
      typeof loss === "function"
        ? () => scaleLoss(loss(), scale)
        : loss instanceof SymbolicTensor
          ? loss.graph.asDefault(() => scaleLoss(loss, scale))
          : scaleLoss(loss, scale);
    const pairs = this.#opt.computeGradients(scaled, { varList, gateGradients, aggregationMethod, colocateGradientsWithOps, gradLoss });
    const grads = unscaleGradients(
      pairs.map(([g]) => g),
      scale,
    );
    return pairs.map(([, v], i): GradAndVar => [grads[i], v]);
  }

  override applyGradients(...args: ArgsOf<typeof applyGradientsSignature>): Operation | null {
    const [gradsAndVars, globalStep, name] = parseArgs(applyGradientsSignature, args);
    const pairs = [...gradsAndVars];
    const apply = () => this.#opt.applyGradients(pairs, { globalStep, name });
    if (!this.#dynamic) return apply();
    const grads = pairs.map(([g]) => g).filter((g): g is Tensor => g instanceof Tensor);
    if (executingEagerly()) {
      const state = this.#state(null);
      const finite = tidy(() => Boolean(allFinite(grads).item()));
      tidy(() => updateLossScale(state.scale, state.goodSteps, constant(finite), DEFAULT_GROWTH_STEPS));
      return finite ? apply() : null;
    }
    const home = this.#home();
    const state = this.#state(home);
    const g = home ?? getDefaultGraph();
    return g.asDefault(() => {
      const finite = allFinite(grads);
      const scaleUpdate = updateLossScale(state.scale, state.goodSteps, finite, DEFAULT_GROWTH_STEPS);
      // TensorFlow 1's skipped step changes no variable of the wrapped optimizer, global_step included.
      const updated = pairs.filter(([gr]) => gr !== null && gr !== undefined).map(([, v]) => v);
      // No variable to update (the wrapped optimizer then says why) or not variables (likewise).
      if (updated.length === 0 || !updated.every((v) => v instanceof Variable)) return apply();
      const restored = [...updated, ...this.#opt._stepVariables(updated), ...(globalStep ? [globalStep] : [])];
      const step = applyIfFinite(
        "MixedPrecisionLossScaleOptimizer",
        finite,
        { restored, advanced: [] },
        apply,
        () => {},
        () => this.#opt._applyGradientsIfFinite(pairs, finite, { globalStep, name }),
      );
      return group([scaleUpdate, step]) as Operation;
    });
  }

  override getSlot(v: Variable, name: string): Variable | null {
    return this.#opt.getSlot(v, name);
  }
  override getSlotNames(): string[] {
    return this.#opt.getSlotNames();
  }
  /** The wrapped optimizer's variables, then the loss scale's (in the current graph). */
  override variables(): Variable[] {
    const s = this.#states.get(this.#home());
    return [...this.#opt.variables(), ...(s ? [s.scale, s.goodSteps] : [])];
  }
  protected override applyDense(): never {
    throw new InvalidArgumentError("MixedPrecisionLossScaleOptimizer applies gradients through the optimizer it wraps");
  }
}
declare(MixedPrecisionLossScaleOptimizer, mpSignature);

/** The graph a function body (a tf.cond branch) is nested in, at the top. */
function rootOf(g: Graph): Graph {
  let cur = g;
  while (cur instanceof FuncGraph) cur = cur.outer;
  return cur;
}
