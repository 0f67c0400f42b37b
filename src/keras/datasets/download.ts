/**
 * Downloading a data set into tsflow's cache when no local copy exists: Keras's .npz first (MNIST), then each
 * IDX file from the first mirror that serves it with the right SHA-256. Files are written under a temporary
 * name and renamed, so that an interrupted download never leaves a file that looks whole.
 * $TSFLOW_DATASETS_ORIGIN (a base URL) replaces the mirrors: a local mirror for machines without the internet.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IDX_FILES, type DatasetInfo } from "./catalog.js";
import { maybeGunzip } from "./idx.js";
import { type Copy, cacheRoot } from "./places.js";

/** How long one file may take to arrive. */
const TIMEOUT_MS = 180_000;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  process.stderr.write(`Downloading data from ${url}\n`);
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const part = `${path}.part-${process.pid}`;
  writeFileSync(part, bytes);
  renameSync(part, path);
}

/** The result of a download: the copy in the cache, or null and why each attempt failed. */
export interface Downloaded {
  readonly copy: Copy | null;
  readonly failures: string[];
}

export async function download(info: DatasetInfo, npzName: string | undefined): Promise<Downloaded> {
  const dest = join(cacheRoot(), info.folder);
  mkdirSync(dest, { recursive: true });
  const origin = process.env.TSFLOW_DATASETS_ORIGIN;
  const failures: string[] = [];
  if (info.npz) {
    const file = npzName !== undefined && !npzName.includes("/") ? npzName : info.npz.file;
    const url = origin ? `${origin}${info.npz.file}` : info.npz.url;
    try {
      const bytes = await fetchBytes(url);
      const got = sha256(bytes);
      if (got !== info.npz.sha256) throw new Error(`SHA-256 ${got}, expected ${info.npz.sha256}`);
      const path = join(dest, file);
      writeAtomically(path, bytes);
      return { copy: { kind: "npz", file: path }, failures };
    } catch (e) {
      failures.push(`${url}: ${reason(e)}`);
    }
  }
  const files: string[] = [];
  for (const f of IDX_FILES) {
    let saved: string | null = null;
    for (const base of origin ? [origin] : info.idxMirrors) {
      const url = `${base}${f}.gz`;
      try {
        const bytes = await fetchBytes(url);
        const content = maybeGunzip(bytes);
        const got = sha256(content);
        if (got !== info.idxSha256[f]) throw new Error(`SHA-256 of the uncompressed file ${got}, expected ${info.idxSha256[f]}`);
        saved = join(dest, content === bytes ? f : `${f}.gz`);
        writeAtomically(saved, bytes);
        break;
      } catch (e) {
        failures.push(`${url}: ${reason(e)}`);
      }
    }
    if (saved === null) return { copy: null, failures };
    files.push(saved);
  }
  return { copy: { kind: "idx", files }, failures };
}
