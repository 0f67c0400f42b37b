/** tf.keras.datasets.fashion_mnist: Zalando's Fashion-MNIST (ten clothing classes, MNIST's format and sizes). */
import { defineFunction, signature } from "../../core/signature.js";
import { FASHION_MNIST } from "./catalog.js";
import { type LoadedData, loadLocal, loadOrDownload } from "./load.js";

const SKIP = { skip: "loads 55 MB; test/datasets.test.ts calls it" };

export const loadData = defineFunction(
  signature(
    "keras.datasets.fashion_mnist.load_data",
    "Fashion-MNIST as [[xTrain, yTrain], [xTest, yTest]] uint8 tensors ([60000, 28, 28], [60000], ...), from a local copy ($TSFLOW_DATASETS, the cache, Keras's cache, Debian's dataset-fashion-mnist); NotFoundError when there is none (then use loadDataAsync).",
    [],
    SKIP,
  ),
  (): LoadedData => loadLocal(FASHION_MNIST, undefined, "tf.keras.datasets.fashionMnist.loadData"),
);

export const loadDataAsync = defineFunction(
  signature(
    "keras.datasets.fashion_mnist.load_data_async",
    "As loadData, but when no local copy exists downloads Fashion-MNIST into tsflow's cache (~/.cache/tsflow/datasets) and checks its SHA-256 first.",
    [],
    SKIP,
  ),
  (): Promise<LoadedData> => loadOrDownload(FASHION_MNIST, undefined, "tf.keras.datasets.fashionMnist.loadDataAsync"),
);
