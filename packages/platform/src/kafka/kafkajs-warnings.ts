// kafkajs arms timers with negative delays on current Node (harmless, reported upstream); keep
// that one warning out of the logs and let every other process warning through. Its own module,
// without kafkajs, so that code which only starts kafkajs elsewhere (the test harness) can call it.
let warningFilterInstalled = false;
export function filterKafkajsTimerWarnings(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const listeners = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of listeners) listener(warning);
  });
}
