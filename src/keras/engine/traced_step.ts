/**
 * The train, test and predict steps traced into one graph each with tf.function (Keras's train_function):
 * the forward pass, the loss, the tape's gradients, the optimizer's update and the metrics' assign ops run
 * as one Session plan per batch shape, so that fit costs what hand-written graph mode costs.
 *
 * Before the first trace the model and its loss and metric containers are built eagerly (their variables
 * are eager state that the traces capture). A step guarded against NaN losses (TerminateOnNaN) runs
 * eagerly: it must read the loss before deciding to apply the update.
 */
import type { Tensor } from "../../core/tensor.js";
import type { Graph } from "../../graph/graph.js";
import { tidy } from "../../eager/memory.js";
import { GradientTape } from "../../eager/tape.js";
import { tfFunction } from "../../function/index.js";
import { execute } from "../../ops/dispatch.js";
import { gather } from "../../ops/movement.js";
import { controlDependencies } from "../../graph/scopes.js";
import { Variable } from "../../variables/variable.js";
import type { Model } from "./model.js";
import { eagerSteps, lossAndGradients, lossOf, type StepBatch, type StepFunctions } from "./step.js";

interface Optimizer {
  applyGradients(gradsAndVars: [Tensor, Variable][]): unknown;
}

export function tracedSteps(model: Model): StepFunctions {
  const eager = eagerSteps(model);
  const options = { jitCompile: model.jitCompile, reduceRetracing: false };
  const trainBody = (x: Tensor[], y: Tensor[], sampleWeight: Tensor | null): Tensor => {
    const tape = new GradientTape();
    let yPred: Tensor[] = [];
    const vars = model.trainableWeights;
    const { loss, grads } = lossAndGradients(
      model,
      tape,
      () => {
        yPred = model.forward(x, true);
        return lossOf(model, { x, y, sampleWeight }, yPred);
      },
      vars,
    );
    const pairs: [Tensor, Variable][] = [];
    grads.forEach((g, i) => {
      if (g) pairs.push([g, vars[i]]);
    });
    if (pairs.length > 0) (model.optimizer as Optimizer).applyGradients(pairs);
    model.compiledMetrics?.update(y, yPred, sampleWeight);
    return loss;
  };
  const train = tfFunction(trainBody, options);
  // Shuffled in-memory data: the whole arrays (the same buffers at every step, so a CUDA-graph replay copies
  // nothing) and the batch's row indices go in; the rows are gathered in the graph, on the device.
  const trainRows = tfFunction((xs: Tensor[], ys: Tensor[], sw: Tensor | null, idx: Tensor): Tensor => {
    const take = (t: Tensor) => gather(t, idx);
    return trainBody(xs.map(take), ys.map(take), sw ? take(sw) : null);
  }, options);
  // An epoch's full batches of rows (shuffled, or in order for fit): the epoch's order as one table fed at every step (the same buffer all
  // epoch, so a CUDA-graph replay copies it once) and the row to take from a counter on the device, which the
  // step advances itself. Nothing travels from the host per step.
  let cursor: Variable | null = null;
  /** The cursor's value after the last step queued (the host's copy, to tell when it must be set). */
  let cursorAt = -1;
  const trainTable = tfFunction((xs: Tensor[], ys: Tensor[], sw: Tensor | null, table: Tensor): Tensor => {
    const c = cursor!;
    // Every array's rows in one op (one launch on a GPU).
    const arrays = [...xs, ...ys, ...(sw ? [sw] : [])];
    const rows = execute("GatherTableRow", [table, c.value(), ...arrays], { Tparams: arrays.map((t) => t.dtype) });
    const loss = trainBody(rows.slice(0, xs.length), rows.slice(xs.length, xs.length + ys.length), sw ? rows[rows.length - 1] : null);
    // After the row is read: the batch's gather waits for nothing else.
    controlDependencies([rows[0]], () => c.assignAdd(1));
    return loss;
  }, options);
  const test = tfFunction((x: Tensor[], y: Tensor[], sampleWeight: Tensor | null): Tensor => {
    const yPred = model.forward(x, false);
    const loss = lossOf(model, { x, y, sampleWeight }, yPred);
    model.compiledMetrics?.update(y, yPred, sampleWeight);
    return loss;
  }, options);
  const predict = tfFunction((x: Tensor[]): Tensor[] => model.forward(x, false), options);

  /** Builds the model's layers and the compiled containers eagerly, once, from a first batch. */
  const ready = (batch: StepBatch): void => {
    if (!model.built || !model.compiledLoss) {
      eager.predict(batch.x);
      model.buildCompiled();
    }
  };
  /** The tf.function the last traced train step ran (the whole-array form or the batch form). */
  let lastTrain: typeof train | typeof trainRows | typeof trainTable | null = null;
  return {
    train(batch, guardNaN) {
      if (guardNaN) return eager.train(batch, true);
      ready(batch);
      const rows = batch.rows;
      const table = rows?.table;
      if (rows && table) {
        lastTrain = trainTable;
        cursor ??= new Variable(0, { dtype: "int32", trainable: false, name: "fit_batch_cursor" });
        if (cursorAt !== table.row) cursor.assign(table.row);
        cursorAt = table.row + 1;
        const order = table.order;
        const loss = tidy(() => trainTable([...rows.xs], [...rows.ys], rows.sws, order) as Tensor);
        // After the table's last row, the next epoch's first: set now, queued behind this step, rather than at
        // the next epoch's start, when a GPU waits idle for the host.
        if (cursorAt === order.shape![0]) {
          cursor.assign(0);
          cursorAt = 0;
        }
        return loss;
      }
      lastTrain = rows ? trainRows : train;
      if (rows) return tidy(() => trainRows([...rows.xs], [...rows.ys], rows.sws, rows.indices()) as Tensor);
      return tidy(() => train(batch.x, batch.y, batch.sampleWeight) as Tensor);
    },
    test(batch) {
      ready(batch);
      return tidy(() => test(batch.x, batch.y, batch.sampleWeight) as Tensor);
    },
    predict(x) {
      if (!model.built) eager.predict(x);
      return tidy(() => predict(x) as Tensor[]);
    },
    trainGraph(): Graph | null {
      return lastTrain?._listAllConcreteFunctions().at(-1)?.graph ?? null;
    },
  };
}
