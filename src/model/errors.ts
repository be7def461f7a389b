/**
 * Every error code leakwatch reports, by the error type that carries it, with what it means: one
 * table for metrics, logs, the API and tests, so no caller ever classifies an error by its message.
 * The classes take their code types from here: ScrapeError (collect/errors.ts), ProfileError
 * (profile/errors.ts), DeliveryError (alert/types.ts).
 */
export const ERROR_CODES = {
  /** A scrape of one source of one target failed. */
  scrape: {
    refused: 'the target refused the connection (nothing listening)',
    timeout: 'no answer, or not all of it, within the timeout',
    http_status: 'the target answered with an error status or a redirect',
    too_large: 'the body, or what it inflates to, passed a size cap',
    bad_gzip: 'a gzip body that is corrupt or truncated',
    bad_profile: 'a body that is not a valid pprof profile of the kind asked for',
    bad_format: 'a body that is not what the endpoint should serve (HTML, bad JSON, bad text)',
    no_go_metrics: 'a /metrics page without the Go runtime metrics',
    invalid_value: 'a value no Go runtime can produce',
    dns: 'the host name does not resolve',
    overloaded: 'leakwatch itself had no room to start the request or the decode: never the target\'s fault',
    other: 'anything else (reset connections, TLS, unknown failures)',
  },
  /** Decoding, merging or selecting from a pprof profile failed; `stage` says where. */
  profile: {
    too_large: 'the decompressed profile passed the size cap or the ratio a gzip bomb shows',
    bad_gzip: 'the gzip stream is corrupt or truncated',
    empty: 'no bytes at all',
    bad_wire: 'not valid protocol-buffer wire format',
    invalid: 'a well-formed message that is not a valid profile',
    incompatible: 'profiles whose sample or period types cannot be combined',
    no_sample_type: 'the sample type or index asked for is not in the profile',
  },
  /** Delivering an alert to one channel failed. */
  delivery: {
    http_status: 'the receiver answered with an error status',
    rate_limited: 'the receiver asked us to slow down (HTTP 429)',
    network: 'no answer: refused, reset, DNS, timeout',
    smtp_reply: 'the SMTP server refused with a reply code',
    smtp_auth: 'SMTP authentication failed or credentials are missing',
    config: 'the channel cannot work as configured',
    unknown: 'anything else',
  },
} as const;

export type ScrapeCode = keyof typeof ERROR_CODES.scrape;
export type ProfileCode = keyof typeof ERROR_CODES.profile;
export type DeliveryErrorCode = keyof typeof ERROR_CODES.delivery;
