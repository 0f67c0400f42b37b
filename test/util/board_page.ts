/** Builds the board's page (dist/board-page) when a test needs it and `npm run build` has not made it. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PAGE_DIR } from "../../src/board/server.js";

export function buildBoardPage(): void {
  if (existsSync(join(PAGE_DIR, "app.js"))) return;
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build_board.ts"], { stdio: "inherit" });
}
