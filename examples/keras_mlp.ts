/**
 * The multilayer perceptron 784-512-512-10 with dropout on Fashion-MNIST or MNIST with tf.keras: load, build, compile, fit with the progress bar, evaluate.
 *   node --import tsx examples/keras_mlp.ts [--dataset=fashion_mnist|mnist] [--epochs=N] [--batch_size=64]
 * The model and the training loop are in examples/mnist_keras.ts.
 */
import { runFromCommandLine } from "./mnist_keras.js";

if (import.meta.url === `file://${process.argv[1]}`) await runFromCommandLine("mlp");
