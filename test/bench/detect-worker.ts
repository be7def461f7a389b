/** Worker thread of `bench:detect`: runs the jobs the main thread posts, one at a time. */
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './detect-run.js';

parentPort?.on('message', (job: Job) => {
  try {
    parentPort?.postMessage({ ok: true, result: runJob(job) });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: `${JSON.stringify(job)}: ${(err as Error).stack ?? err}` });
  }
});
