/**
 * The step functions of fit, evaluate and predict: Keras's train_step (forward on a GradientTape, the
 * compiled loss, gradients, the optimizer's update, the metrics' updates), test_step and predict_step.
 * Each runs eagerly inside tf.tidy, so that a step's intermediates are freed as it ends and a step that
 * throws changes no weight (the update is the last thing it does).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import type { Graph } from "../../graph/graph.js";
import { tidy } from "../../eager/memory.js";
import { GradientTape } from "../../eager/tape.js";
import type { Variable } from "../../variables/variable.js";
import { cast } from "../../ops/cast.js";
import { reshape, slice } from "../../ops/movement.js";
import { shape } from "../../ops/shape.js";
import type { Rows } from "./data_adapter.js";
import type { Model } from "./model.js";

/** One batch of flat inputs, targets and sample weights. */
export interface StepBatch {
  x: Tensor[];
  y: Tensor[];
  sampleWeight: Tensor | null;
  /** In-memory rows behind x, y and sampleWeight, for a step that gathers them itself. */
  rows?: Rows;
}

export interface StepFunctions {
  /** One training step; returns the batch's loss. With `guardNaN`, a non-finite loss skips the update. */
  train(batch: StepBatch, guardNaN: boolean): Tensor;
  /** The loss and metric updates without training. */
  test(batch: StepBatch): Tensor;
  /** The outputs, flattened in output order. */
  predict(x: Tensor[]): Tensor[];
  /** The graph of the last traced train step (Keras's train_function), or null before one / when eager. */
  trainGraph?(): Graph | null;
}

/** What a step needs of the optimizer; a loss-scaling one (mixed precision) also scales the loss and unscales the gradients. */
interface Optimizer {
  applyGradients(gradsAndVars: [Tensor, Variable][]): unknown;
  getScaledLoss?(loss: Tensor): Tensor;
  getUnscaledGradients?(grads: readonly (Tensor | null)[]): (Tensor | null)[];
}

/** The loss `computeLoss` records on `tape` and its gradients (scaled and unscaled by a LossScaleOptimizer, as Keras's minimize). */
export function lossAndGradients(model: Model, tape: GradientTape, computeLoss: () => Tensor, vars: Variable[]): { loss: Tensor; grads: (Tensor | null)[] } {
  const opt = model.optimizer as Optimizer;
  let scaled: Tensor | null = null;
  const loss = tape.run(() => {
    const l = computeLoss();
    scaled = opt.getScaledLoss ? opt.getScaledLoss(l) : l;
    return l;
  }) as Tensor;
  const grads = tape.gradient(scaled ?? loss, vars) as (Tensor | null)[];
  return { loss, grads: opt.getUnscaledGradients ? opt.getUnscaledGradients(grads) : grads };
}

/** The batch's size: static when known, else read from the running graph (a trace with an unknown batch). */
function batchSize(x: readonly Tensor[]): number | Tensor {
  const n = x[0]?.shape?.[0];
  return typeof n === "number" ? n : cast(reshape(slice(shape(x[0]), [0], [1]), []), "float32");
}

/** The loss of a batch (with the model's regularization losses), updating the loss trackers. */
export function lossOf(model: Model, batch: StepBatch, yPred: Tensor[]): Tensor {
  const compiled = model.compiledLoss;
  if (!compiled) throw new InvalidArgumentError("You must compile your model before training/testing. Use `model.compile(optimizer, loss)`.");
  return compiled.compute(batch.y, yPred, batch.sampleWeight, model.losses, batchSize(batch.x));
}

/** The eager steps (compile's runEagerly, and the path until a traced step is available). */
export function eagerSteps(model: Model): StepFunctions {
  return {
    train(batch, guardNaN) {
      return tidy(() => {
        const tape = new GradientTape();
        let yPred: Tensor[] = [];
        const vars = model.trainableWeights;
        const { loss, grads } = lossAndGradients(
          model,
          tape,
          () => {
            yPred = model.forward(batch.x, true);
            model.buildCompiled();
            return lossOf(model, batch, yPred);
          },
          vars,
        );
        if (guardNaN && !Number.isFinite(loss.item())) return loss;
        const pairs: [Tensor, Variable][] = [];
        grads.forEach((g, i) => {
          if (g) pairs.push([g, vars[i]]);
        });
        if (pairs.length > 0) (model.optimizer as Optimizer).applyGradients(pairs);
        model.compiledMetrics?.update(batch.y, yPred, batch.sampleWeight);
        return loss;
      });
    },
    test(batch) {
      return tidy(() => {
        const yPred = model.forward(batch.x, false);
        model.buildCompiled();
        const loss = lossOf(model, batch, yPred);
        model.compiledMetrics?.update(batch.y, yPred, batch.sampleWeight);
        return loss;
      });
    },
    predict(x) {
      return tidy(() => model.forward(x, false));
    },
  };
}
