/**
 * The train, test and predict steps traced into one graph each with tf.function (Keras's train_function).
 * Until tf.function exists, fit runs the eager steps (engine/step.ts).
 */
import type { Model } from "./model.js";
import type { StepFunctions } from "./step.js";

export function tracedSteps(_model: Model): StepFunctions | null {
  return null;
}
