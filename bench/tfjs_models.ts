/**
 * The same three models in TensorFlow.js (the peer), with raw ops and tf.train.sgd, on a given backend
 * ("cpu" or "wasm"). A model the backend cannot train reports the error instead of a number.
 */
import * as tfjs from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { ModelName } from "./tsflow_models.js";
import { syntheticBatch } from "./tsflow_models.js";

export async function useBackend(name: "cpu" | "wasm"): Promise<boolean> {
  try {
    return await tfjs.setBackend(name);
  } catch {
    return false;
  }
}

function dense(nIn: number, nOut: number): tfjs.Variable[] {
  const limit = Math.sqrt(6 / (nIn + nOut));
  return [tfjs.variable(tfjs.randomUniform([nIn, nOut], -limit, limit)), tfjs.variable(tfjs.zeros([nOut]))];
}
function conv(k: number, cin: number, cout: number): tfjs.Variable[] {
  const limit = Math.sqrt(6 / (k * k * (cin + cout)));
  return [tfjs.variable(tfjs.randomUniform([k, k, cin, cout], -limit, limit)), tfjs.variable(tfjs.zeros([cout]))];
}

export function tfjsStep(model: ModelName, batch: number): { step: () => void; close: () => void } {
  const data = syntheticBatch(batch);
  const x = tfjs.tensor4d(data.x, [batch, 28, 28, 1]);
  const y = tfjs.tensor2d(data.y, [batch, 10]);
  const aff = (h: tfjs.Tensor, w: tfjs.Variable, b: tfjs.Variable) => tfjs.add(tfjs.matMul(h as tfjs.Tensor2D, w as tfjs.Tensor2D), b);
  let vars: tfjs.Variable[];
  let forward: () => tfjs.Tensor;
  if (model === "logreg") {
    vars = dense(784, 10);
    forward = () => aff(tfjs.reshape(x, [batch, 784]), vars[0], vars[1]);
  } else if (model === "mlp") {
    vars = [...dense(784, 512), ...dense(512, 512), ...dense(512, 10)];
    forward = () => {
      let h = tfjs.relu(aff(tfjs.reshape(x, [batch, 784]), vars[0], vars[1]));
      h = tfjs.relu(aff(h, vars[2], vars[3]));
      return aff(h, vars[4], vars[5]);
    };
  } else {
    vars = [...conv(5, 1, 6), ...conv(5, 6, 16), ...dense(400, 120), ...dense(120, 84), ...dense(84, 10)];
    forward = () => {
      let h: tfjs.Tensor4D = tfjs.maxPool(tfjs.relu(tfjs.add(tfjs.conv2d(x, vars[0] as tfjs.Tensor4D, 1, "same"), vars[1])) as tfjs.Tensor4D, 2, 2, "valid");
      h = tfjs.maxPool(tfjs.relu(tfjs.add(tfjs.conv2d(h, vars[2] as tfjs.Tensor4D, 1, "valid"), vars[3])) as tfjs.Tensor4D, 2, 2, "valid");
      let f = tfjs.reshape(h, [batch, 400]);
      f = tfjs.relu(aff(f, vars[4], vars[5]));
      f = tfjs.relu(aff(f, vars[6], vars[7]));
      return aff(f, vars[8], vars[9]);
    };
  }
  const opt = tfjs.train.sgd(0.01);
  return {
    step: () => {
      const cost = opt.minimize(() => tfjs.losses.softmaxCrossEntropy(y, forward()) as tfjs.Scalar, false, vars);
      cost?.dispose();
    },
    close: () => {
      tfjs.dispose([x, y, ...vars]);
      opt.dispose();
    },
  };
}
