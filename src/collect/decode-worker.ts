/**
 * Entry of a decode worker thread (decode-pool.ts starts it from dist/collect/decode-worker.js):
 * runs one DecodeTask per message and answers with its result or its ScrapeError's code, stage and text.
 */
import { parentPort } from 'node:worker_threads';
import { runDecodeTask, type DecodeTask } from './decode-tasks.js';
import { toScrapeError } from './errors.js';
import type { ScrapeCode } from '../model/errors.js';

export interface DecodeRequest {
  id: number;
  task: DecodeTask;
}

export type DecodeReply =
  | { id: number; ok: true; result: ReturnType<typeof runDecodeTask> }
  | { id: number; ok: false; code: ScrapeCode; detail: string; stage?: string };

const port = parentPort;
if (port) {
  port.on('message', ({ id, task }: DecodeRequest) => {
    let reply: DecodeReply;
    try {
      reply = { id, ok: true, result: runDecodeTask(task) };
    } catch (e) {
      const err = toScrapeError(e);
      reply = { id, ok: false, code: err.code, detail: err.detail, stage: err.stage };
    }
    port.postMessage(reply);
  });
}
