/**
 * Builds the board's page (web/board) into dist/board-page: app.js (the page's code with uPlot and dagre
 * bundled in), app.css and index.html. Run by `npm run build`; the server serves exactly those files.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/board-page`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${root}web/board/main.ts` },
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2022",
  outdir: out,
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync(`${root}web/board/index.html`, `${out}/index.html`);
