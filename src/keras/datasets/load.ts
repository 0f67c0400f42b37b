/**
 * loadData and loadDataAsync for the MNIST-like data sets: a local copy synchronously (API.md rule 8: nothing
 * waits on I/O of the network), a download into the cache only in the async form.
 */
import { isAbsolute } from "node:path";
import { defaultBackend } from "../../core/devices.js";
import { NotFoundError } from "../../core/errors.js";
import { EagerTensor } from "../../eager/tensor.js";
import { IDX_FILES, type DatasetInfo } from "./catalog.js";
import { download } from "./download.js";
import type { IdxArray } from "./idx.js";
import { type Copy, type Place, findLocal, readCopy } from "./places.js";

/** Keras's `(x_train, y_train), (x_test, y_test)`: uint8 images [n, 28, 28] and uint8 labels [n]. */
export type LoadedData = [[EagerTensor, EagerTensor], [EagerTensor, EagerTensor]];

/** Host arrays become uint8 tensors on the CPU (as Keras returns NumPy arrays: the input pipeline moves batches). */
function toTensors(arrays: IdxArray[]): LoadedData {
  const t = (a: IdxArray) => new EagerTensor(defaultBackend().write(a.data, "uint8", a.shape));
  return [
    [t(arrays[0]), t(arrays[1])],
    [t(arrays[2]), t(arrays[3])],
  ];
}

function read(info: DatasetInfo, copy: Copy): LoadedData {
  return toTensors(readCopy(info, copy));
}

/** How to put a copy in each place. */
function howTo(info: DatasetInfo, place: Place): string {
  const api = `tf.keras.datasets.${info.api}`;
  if (place.label === "$TSFLOW_DATASETS") {
    return `set TSFLOW_DATASETS to a folder whose ${info.folder}/ holds ${IDX_FILES.join(", ")} (each plain or .gz)${info.npz ? ` or ${info.npz.file}` : ""}`;
  }
  if (place.label === "tsflow's download cache") return `\`await ${api}.loadDataAsync()\` downloads it there (needs the internet)`;
  if (place.label === "Keras's download cache") return `Python's tf.keras.datasets.${info.python}.load_data() downloads it there`;
  if (info.debian && place.label.includes(info.debian.pkg)) return `sudo apt-get install ${info.debian.pkg} (tsflow's \`npm run setup:system\` does it)`;
  if (info.npm && place.label.includes(info.npm.pkg)) return `npm install --save-dev ${info.npm.pkg} (in your project)`;
  return "";
}

/** What a place names, as the message shows it. */
function shown(place: Place): string {
  if (place.dir === null) return "(not set or not installed)";
  if (place.npz === undefined) return place.dir;
  return `${place.dir}${isAbsolute(place.npz) ? "" : ` (IDX files, or ${place.npz})`}`;
}

function notFound(info: DatasetInfo, fn: string, looked: Place[], failures: string[] | null): Error {
  const lines = [`${fn}: no copy of ${info.python} found. Looked in:`];
  for (const p of looked) {
    lines.push(`  - ${p.label}: ${shown(p)}; to get it: ${howTo(info, p)}`);
  }
  if (failures === null) lines.push(`Or download it into the cache: \`await tf.keras.datasets.${info.api}.loadDataAsync()\` (needs the internet).`);
  else if (failures.length > 0) lines.push("Downloading failed:", ...failures.map((f) => `  - ${f}`));
  return new NotFoundError(lines.join("\n"));
}

/** The data set from the first local copy; a NotFoundError (suggesting loadDataAsync) when there is none. */
export function loadLocal(info: DatasetInfo, npzName: string | undefined, fn: string): LoadedData {
  const { copy, looked } = findLocal(info, npzName);
  if (copy === null) throw notFound(info, fn, looked, null);
  return read(info, copy);
}

/** The data set from a local copy, else downloaded into the cache and checked. */
export async function loadOrDownload(info: DatasetInfo, npzName: string | undefined, fn: string): Promise<LoadedData> {
  const { copy, looked } = findLocal(info, npzName);
  if (copy !== null) return read(info, copy);
  const got = await download(info, npzName);
  if (got.copy === null) throw notFound(info, fn, looked, got.failures);
  return read(info, got.copy);
}
