// A crash point for the crash tests: with `EVENT_STORE_FAULT=crash-after-append[:N]` the process
// kills itself (SIGKILL, no clean-up) right after the N-th append that stored events has
// committed and before anything of it is published: the window a real crash can hit.

export interface FaultHooks {
  /** Called after an append committed `stored` events, before they are published. */
  afterAppend(stored: number): void;
}

export function faultHooks(spec: string): FaultHooks {
  const match = /^crash-after-append(?::(\d+))?$/.exec(spec.trim());
  if (!match) return { afterAppend() {} };
  let remaining = Number(match[1] ?? 1);
  return {
    afterAppend(stored) {
      if (stored === 0 || --remaining > 0) return;
      process.kill(process.pid, "SIGKILL");
    },
  };
}
