/** The collector's public surface: scrape a service, capture its profiles, and the pieces they use. */
export { ScrapeError, SCRAPE_CODES } from './errors.js';
export type { ScrapeCode } from '../model/errors.js';
export { fetchBody, type FetchOptions, type BodyKind } from './http.js';
export { parseHeapText } from './heap-text.js';
export { parseGoroutineCount } from './goroutine-text.js';
export { parsePprofIndex } from './pprof-index.js';
export { ScrapePlan, type FetchName, type PlanOptions } from './plan.js';
export { admit, valueProblem, describeInvalid, FIELD_RULES, ORDER_RULES, type InvalidValue, type Reading } from './validate.js';
export { parseExpvar } from './expvar.js';
export { parsePrometheus } from './prometheus.js';
export { readProcess, type ProcessInfo, type ProcessTarget } from './procfs.js';
export { isRestart } from '../model/restart.js';
export { scrapeService, mergeSample, type ScrapeResult, type ScrapeFailure, type ScrapeOptions } from './scrape.js';
export { captureProfiles, type CapturedProfile, type ProfileFailure, type CaptureOptions } from './profiles.js';
export type { ScrapeTarget, SourceName } from './target.js';
