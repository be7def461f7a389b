/**
 * A vitest reporter that ends each run with the slowest test files by wall time (import, hooks
 * and tests, as a file holds a worker), so a suite that creeps towards CI's limit shows where.
 * Printed only when the run has more than a handful of files.
 */
import { performance } from 'node:perf_hooks';
import type { Reporter, TestModule } from 'vitest/node';

const SHOWN = 12;

export default class SlowestFiles implements Reporter {
  private readonly started = new Map<string, number>();
  private readonly walls: { file: string; seconds: number }[] = [];
  private runStart = performance.now();

  onTestRunStart(): void {
    this.runStart = performance.now();
  }

  onTestModuleStart(m: TestModule): void {
    this.started.set(m.moduleId, performance.now());
  }

  onTestModuleEnd(m: TestModule): void {
    const t0 = this.started.get(m.moduleId);
    if (t0 === undefined) return;
    const collect = m.diagnostic().collectDuration;
    this.walls.push({ file: m.relativeModuleId, seconds: (performance.now() - t0 + collect) / 1000 });
  }

  onTestRunEnd(): void {
    if (this.walls.length <= SHOWN) return;
    const rows = [...this.walls].sort((a, b) => b.seconds - a.seconds).slice(0, SHOWN);
    const total = this.walls.reduce((s, r) => s + r.seconds, 0);
    const lines = rows.map((r) => `  ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`);
    process.stdout.write(
      `\nslowest test files (wall, import to last hook; ${this.walls.length} files, ${total.toFixed(0)} s summed, ` +
        `${((performance.now() - this.runStart) / 1000).toFixed(0)} s run):\n${lines.join('\n')}\n`,
    );
  }
}
