import { noGpuReason } from "./devices.js";

/**
 * `npm run test:gpu` runs this first: on the GPU machine a missing GPU must fail the run, not turn every
 * GPU test into a skip.
 */
const reason = noGpuReason();
if (reason !== null) {
  console.error(`test:gpu stops: ${reason}`);
  process.exit(1);
}
