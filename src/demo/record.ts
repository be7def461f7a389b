/**
 * Records a real leaking Go program for the demo: every second, the raw bodies leakwatch scrapes.
 * Usage (needs Go): node dist/demo/record.js <target-base-url> <seconds> <out.jsonl.gz>
 * Each line: { "at": ms since start, "path": "/debug/pprof/heap?debug=1", "body": base64 }.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const PATHS_EVERY_SECOND = ['/debug/pprof/heap?debug=1', '/debug/pprof/goroutine?debug=1', '/debug/vars', '/metrics'];
const PATHS_EVERY_FIVE = ['/debug/pprof/heap', '/debug/pprof/goroutine'];

async function main(): Promise<void> {
  const [base, secondsArg, out] = process.argv.slice(2);
  if (!base || !secondsArg || !out) {
    console.error('usage: record.js <base-url> <seconds> <out.jsonl.gz>');
    process.exit(2);
  }
  const lines: string[] = [];
  const start = Date.now();
  for (let i = 0; i < Number(secondsArg); i++) {
    const paths = i % 5 === 0 ? [...PATHS_EVERY_SECOND, ...PATHS_EVERY_FIVE] : PATHS_EVERY_SECOND;
    for (const path of paths) {
      const res = await fetch(base + path);
      const body = Buffer.from(await res.arrayBuffer());
      lines.push(JSON.stringify({ at: Date.now() - start, path, body: body.toString('base64') }));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 1000 - Date.now())));
  }
  writeFileSync(out, gzipSync(lines.join('\n') + '\n', { level: 9 }));
  console.log(`recorded ${lines.length} responses to ${out}`);
}

void main();
