// Loaded before a service's own modules: `node --import ./packages/platform/src/instrument.ts
// services/<name>/src/main.ts`. ESM imports are bound before any code of the program runs, so
// the instrumentations and the loader hook that lets them patch express, pg, pino and undici
// must be in place first. Only the patched modules go through the hook. With OTEL_SDK_DISABLED
// nothing is hooked at all. The exporters the SDK imports and the service does not use are loaded
// only if they are used (sdk-deferred.ts), whether or not the SDK is enabled.
import { register, supportsSyncHooks } from "import-in-the-middle/register-hooks.mjs";
import { createAddHookMessageChannel } from "import-in-the-middle";
import { register as registerLoader } from "node:module";
import {
  createInstrumentations,
  patchedModules,
  selectedInstrumentations,
  setRegisteredInstrumentations,
} from "./instrumentations.ts";
import { deferSdkExporters } from "./sdk-deferred.ts";

deferSdkExporters();

if (!/^true$/i.test(process.env.OTEL_SDK_DISABLED ?? "")) {
  const names = selectedInstrumentations();
  const instrumentations = createInstrumentations(names);
  const include = patchedModules(instrumentations);
  if (supportsSyncHooks()) {
    register({ include });
    for (const i of instrumentations) i.enable();
  } else {
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
    registerLoader("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);
    for (const i of instrumentations) i.enable();
    await waitForAllMessagesAcknowledged();
  }
  setRegisteredInstrumentations(names, instrumentations);
}
