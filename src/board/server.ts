/**
 * `tsflowjs board`: an HTTP server (node:http) serving the board's page (built into dist/board-page by
 * `npm run build`) and a JSON API over the logdir:
 *   GET /data/runs                         runs with their tags per dashboard, and the load errors
 *   GET /data/scalars?run&tag[&max]        {step, wall, value} arrays, downsampled to at most max points
 *   GET /data/histograms?run&tag           [{step, wallTime, buckets: [left, right, count][]}]
 *   GET /data/images?run&tag               [{step, wallTime, width, height, count}]
 *   GET /data/image?run&tag&index&sample   the encoded image's bytes
 *   GET /data/text?run&tag                 [{step, wallTime, shape, texts}]
 *   GET /data/graph?run                    the GraphDef's nodes as JSON
 * Only the page's own files (listed when the server starts) and data already read from event files are ever
 * sent: no request path is joined to a file system path, so nothing outside the logdir or the page can leak.
 * The logdir is reloaded every `reloadMs` (new runs, new files, new records of growing files).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError, UnavailableError } from "../core/errors.js";
import { graphToJson } from "./graph_json.js";
import { Logdir, type Run } from "./logdir.js";

export interface BoardOptions {
  logdir: string;
  /** Default 6006 (TensorBoard's); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine can connect unless told otherwise (e.g. "0.0.0.0"). */
  host?: string;
  /** How often the logdir is read again, in milliseconds (default 2000). */
  reloadMs?: number;
}

export interface Board {
  readonly url: string;
  readonly port: number;
  /** Reads the logdir now (the timer does it every reloadMs). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Where `npm run build` puts the page: dist/board-page, found from src/board or dist/board alike. */
export const PAGE_DIR = fileURLToPath(new URL("../../dist/board-page/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".png": "image/png",
};

function loadPage(): Map<string, { body: Buffer; type: string }> {
  let names: string[];
  try {
    names = readdirSync(PAGE_DIR);
  } catch {
    throw new NotFoundError(`the board's page is not built: ${PAGE_DIR} is missing (run \`npm run build\`)`);
  }
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of names) {
    const ext = name.slice(name.lastIndexOf("."));
    if (TYPES[ext] !== undefined) files.set(`/${name}`, { body: readFileSync(resolve(PAGE_DIR, name)), type: TYPES[ext] });
  }
  return files;
}

function imageType(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8) return "image/jpeg";
  if (b[0] === 0x47 && b[1] === 0x49) return "image/gif";
  return "application/octet-stream";
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startBoard(options: BoardOptions): Promise<Board> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 6006;
  const page = loadPage();
  const logdir = new Logdir(resolve(options.logdir));
  const first = logdir.reload();

  const runOf = (q: URLSearchParams): Run => {
    const run = logdir.runs.get(q.get("run") ?? "");
    if (run === undefined) throw new HttpError(404, `no run named ${JSON.stringify(q.get("run"))}`);
    return run;
  };
  const tagOf = <T>(map: Map<string, T>, q: URLSearchParams): T => {
    const v = map.get(q.get("tag") ?? "");
    if (v === undefined) throw new HttpError(404, `no such tag ${JSON.stringify(q.get("tag"))} in run ${JSON.stringify(q.get("run"))}`);
    return v;
  };

  const api: Record<string, (q: URLSearchParams) => unknown> = {
    "/data/runs": () => ({
      logdir: logdir.path,
      runs: [...logdir.runs.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => ({
          name: r.name,
          scalars: [...r.data.scalars.keys()].sort(),
          histograms: [...r.data.histograms.keys()].sort(),
          images: [...r.data.images.keys()].sort(),
          text: [...r.data.text.keys()].sort(),
          graph: r.data.graphDef !== undefined,
        })),
      errors: logdir.errors(),
    }),
    "/data/scalars": (q) => {
      const s = tagOf(runOf(q).data.scalars, q);
      const max = Math.max(4, Math.min(Number(q.get("max") ?? 4000) || 4000, 1_000_000));
      const idx = s.sampleIndices(max);
      // JSON has no NaN/Infinity: they are sent as strings and turned back into numbers by the page.
      const num = (x: number) => (Number.isFinite(x) ? x : String(x));
      return { total: s.length, step: idx.map((i) => s.step[i]), wall: idx.map((i) => s.wall[i]), value: idx.map((i) => num(s.value[i])) };
    },
    "/data/histograms": (q) => tagOf(runOf(q).data.histograms, q),
    "/data/images": (q) =>
      tagOf(runOf(q).data.images, q).map((e) => ({ step: e.step, wallTime: e.wallTime, width: e.width, height: e.height, count: e.images.length })),
    "/data/text": (q) => tagOf(runOf(q).data.text, q),
    "/data/graph": (q) => {
      const g = runOf(q).data.graphDef;
      if (g === undefined) throw new HttpError(404, `run ${JSON.stringify(q.get("run"))} has no graph`);
      try {
        return graphToJson(g);
      } catch (e) {
        throw new HttpError(422, `the GraphDef of run ${JSON.stringify(q.get("run"))} cannot be decoded: ${(e as Error).message}`);
      }
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://board");
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
      res.end(body);
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "only GET");
      const path = url.pathname === "/" ? "/index.html" : url.pathname;
      if (path === "/favicon.ico") return send(204, "text/plain", "");
      const file = page.get(path);
      if (file !== undefined) return send(200, file.type, file.body);
      if (path === "/data/image") {
        const entries = tagOf(runOf(url.searchParams).data.images, url.searchParams);
        const bytes = entries[Number(url.searchParams.get("index"))]?.images[Number(url.searchParams.get("sample") ?? 0)];
        if (bytes === undefined) throw new HttpError(404, "no such image");
        return send(200, imageType(bytes), bytes);
      }
      const route = api[path];
      if (route === undefined) throw new HttpError(404, `not found: ${path}`);
      send(200, "application/json", JSON.stringify(route(url.searchParams)));
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      send(status, "application/json", JSON.stringify({ error: (e as Error).message }));
    }
  };

  const server: Server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") fail(new UnavailableError(`port ${port} on ${host} is in use; choose another with --port (or stop what holds it)`));
      else if (e.code === "EADDRNOTAVAIL") fail(new UnavailableError(`cannot bind to ${host}: no such address on this machine`));
      else fail(e);
    });
    server.listen(port, host, () => ok());
  });
  const bound = server.address();
  const actualPort = typeof bound === "object" && bound !== null ? bound.port : port;
  const timer = setInterval(() => void logdir.reload(), options.reloadMs ?? 2000);
  timer.unref();
  void first;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    port: actualPort,
    reload: () => logdir.reload(),
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await logdir.reload();
    },
  };
}
