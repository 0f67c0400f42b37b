/**
 * Switches of the executors (Sessions and eager optimizers), for tests and benchmarks to compare.
 * TSFLOW_GROUP_UPDATES=0: every optimizer update runs on its own instead of grouped per device.
 */
export const executorSettings = {
  groupUpdates: !["0", "off", "false"].includes((process.env.TSFLOW_GROUP_UPDATES ?? "").toLowerCase()),
};
