/**
 * The main job (`npm start`): trains LeNet-5 on Fashion-MNIST with tf.keras (fit with the progress bar),
 * evaluates it on the test set and prints the test accuracy; on a GPU when there is one. It saves a checkpoint
 * after each epoch under checkpoints/<model>-<dataset>/ and, run again, resumes from the latest one; it writes
 * TensorBoard logs under runs/<model>-<dataset>/ (`npx tsflowjs board --logdir runs` shows them).
 *   npm start -- [--model=softmax|mlp|lenet5] [--dataset=fashion_mnist|mnist] [--epochs=N] [--batch_size=64] [--fresh]
 */
import * as tf from "tsflowjs";
import { runFromCommandLine } from "./mnist_keras.js";

const gpus = tf.config.listPhysicalDevices("GPU");
console.log(`tsflow: training on ${gpus.length > 0 ? `GPU:0 (${gpus.length} GPU${gpus.length > 1 ? "s" : ""})` : "the CPU"}`);
await runFromCommandLine(undefined, { checkpoints: true });
