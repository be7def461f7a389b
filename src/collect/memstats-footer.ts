/**
 * Keeps the `# runtime.MemStats` footer of a heap?debug=1 body as it streams past and drops the
 * stack records before it: on a service with 20,000 allocation stacks the body is ~20 MB and the
 * footer ~10 KB. Memory stays at the footer plus a few bytes however large the body is.
 */
import { ScrapeError } from './errors.js';
import { MEMSTATS_MARKER } from './heap-text.js';
import { formatBytes } from '../format/units.js';

const MARKER = Buffer.from(MEMSTATS_MARKER, 'latin1');
/** Go's footer is ~40 lines plus two 256-number arrays: about 11 KB. */
export const FOOTER_CAP = 64 * 1024;

export class MemStatsFooter {
  /** The last MARKER.length−1 bytes before the marker was found, so a marker split across chunks is seen. */
  private carry = Buffer.alloc(0);
  private footer: Buffer[] | null = null;
  private footerBytes = 0;

  push(chunk: Buffer): void {
    if (this.footer) return this.keep(chunk);
    const m = MARKER.length;
    const boundary = Buffer.concat([this.carry, chunk.subarray(0, m - 1)]);
    const across = boundary.indexOf(MARKER);
    if (across >= 0) {
      this.footer = [];
      this.keep(this.carry.subarray(across));
      return this.keep(chunk);
    }
    const at = chunk.indexOf(MARKER);
    if (at >= 0) {
      this.footer = [];
      return this.keep(chunk.subarray(at));
    }
    // A copy: holding a subarray would keep the whole chunk alive.
    this.carry = Buffer.from(chunk.length >= m - 1 ? chunk.subarray(chunk.length - (m - 1)) : Buffer.concat([this.carry, chunk]).subarray(-(m - 1)));
  }

  /** The footer from the marker on, or '' when the body had none. */
  text(): string {
    return this.footer ? Buffer.concat(this.footer, this.footerBytes).toString('utf8') : '';
  }

  private keep(part: Buffer): void {
    this.footerBytes += part.length;
    if (this.footerBytes > FOOTER_CAP) {
      throw new ScrapeError('bad_format', `the runtime.MemStats section passed ${formatBytes(FOOTER_CAP)} (a Go footer is about 11 KB)`, { stage: 'heap?debug=1' });
    }
    this.footer!.push(Buffer.from(part));
  }
}
