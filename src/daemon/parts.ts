/**
 * The daemon's parts share one shape: built without I/O, start(), applyConfig() on SIGHUP, stop().
 * Parts start in order; when one fails, it and those already started stop in reverse order and
 * start rejects, so nothing is left half running. stop() must be safe on a part that never started. Stopping keeps going when one part fails to stop.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/log.js';

export interface Part {
  readonly name: string;
  start(): void | Promise<void>;
  /** A validated new config; the part takes what concerns it and leaves the rest. */
  applyConfig(config: Config): void | Promise<void>;
  stop(): void | Promise<void>;
}

export class Parts {
  private started: Part[] = [];

  constructor(private readonly log: Logger) {}

  /** The started parts' names, in start order. */
  get running(): string[] {
    return this.started.map((p) => p.name);
  }

  async start(parts: readonly Part[]): Promise<void> {
    for (const part of parts) {
      try {
        await part.start();
        this.started.push(part);
      } catch (err) {
        // The failed part is stopped too (stop() is safe on a part that got half-way), first.
        this.started.push(part);
        this.log.error('start failed; stopping what had started', { part: part.name, error: (err as Error).message, stopping: [...this.running].reverse().join(',') });
        await this.stop();
        throw err;
      }
    }
  }

  /** Every started part gets the config, even after one fails; rejects naming the parts that failed. */
  async applyConfig(config: Config): Promise<void> {
    const failed: string[] = [];
    for (const part of this.started) {
      try {
        await part.applyConfig(config);
      } catch (err) {
        failed.push(`${part.name}: ${(err as Error).message}`);
      }
    }
    if (failed.length) throw new Error(failed.join('; '));
  }

  /** Stops the started parts in reverse order; a part that fails to stop is logged and the others still stop. */
  async stop(): Promise<void> {
    const parts = this.started.reverse();
    this.started = [];
    for (const part of parts) {
      try {
        await part.stop();
      } catch (err) {
        this.log.error(`stopping ${part.name} failed`, { error: (err as Error).message });
      }
    }
  }
}
