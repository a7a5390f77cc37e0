/**
 * The admin's "inject an error spike" control for the demo traffic. Module state lives on globalThis
 * because Next's server actions and the custom server load separate copies of this module in one
 * process; the demo runs on a single instance, so process memory is the right scope.
 */
export type SpikeMode = "on" | "both";

interface Spike {
  mode: SpikeMode;
  until: number;
}

const store = globalThis as unknown as { __rollgateDemoSpike?: Spike | null; __rollgateDemoTraffic?: boolean };

export function markDemoTrafficRunning(running: boolean): void {
  store.__rollgateDemoTraffic = running;
}

export const demoTrafficRunning = () => store.__rollgateDemoTraffic === true;

export function startSpike(mode: SpikeMode, seconds: number, now = Date.now()): Spike {
  const spike = { mode, until: now + seconds * 1000 };
  store.__rollgateDemoSpike = spike;
  return spike;
}

export function stopSpike(): void {
  store.__rollgateDemoSpike = null;
}

export function currentSpike(now = Date.now()): Spike | null {
  const spike = store.__rollgateDemoSpike;
  return spike && spike.until > now ? spike : null;
}
