/**
 * tf.keras.datasets: MNIST and Fashion-MNIST from a local copy (synchronous loadData) or downloaded into the
 * cache (loadDataAsync). Search order and mirrors: places.ts and catalog.ts.
 */
export * as mnist from "./mnist.js";
export * as fashionMnist from "./fashion_mnist.js";
