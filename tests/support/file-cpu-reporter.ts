import { readFileSync, writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * For `npm run bench:test-cpu`: the machine's CPU-seconds (every process, from /proc/stat) and the
 * wall-clock seconds from each test file being queued (before its imports and top-level code, which some
 * files do their work in) to its end, written as JSON to
 * ROLLGATE_FILE_CPU_REPORT when the run ends. Only meaningful with one worker (files one after another),
 * which is how the bench runs it: with several, files overlap and each is charged for the others.
 */
export interface FileCpu {
  file: string;
  cpuSeconds: number;
  wallSeconds: number;
  tests: number;
}

const TICKS_PER_SECOND = 100;

/** Busy CPU-seconds of the whole machine so far: user, nice, system, irq and softirq over all cores. */
export function machineBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields as [number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
}

export default class FileCpuReporter implements Reporter {
  private readonly started = new Map<string, { cpu: number; at: number }>();
  private readonly files: FileCpu[] = [];

  onTestModuleQueued(module: TestModule) {
    this.started.set(module.moduleId, { cpu: machineBusySeconds(), at: performance.now() });
  }

  onTestModuleEnd(module: TestModule) {
    const start = this.started.get(module.moduleId);
    if (!start) return;
    this.files.push({
      file: module.relativeModuleId,
      cpuSeconds: machineBusySeconds() - start.cpu,
      wallSeconds: (performance.now() - start.at) / 1000,
      tests: [...module.children.allTests()].length,
    });
  }

  onTestRunEnd() {
    const out = process.env.ROLLGATE_FILE_CPU_REPORT;
    if (out) writeFileSync(out, JSON.stringify(this.files, null, 1));
  }
}
