/**
 * The alert stage's own vocabulary: what the detector hands over (AlertEvent), what a channel
 * sends (AlertPayload), and how a channel reports failure (DeliveryError).
 */
import type { Incident } from '../model/incident.js';
import type { DeliveryErrorCode } from '../model/errors.js';

export type AlertKind = 'open' | 'remind' | 'resolve' | 'test';

export interface AlertEvent {
  kind: AlertKind;
  incident: Incident;
  /** Host the daemon runs on (the service's host when the daemon runs beside it). */
  host: string;
  /** Link to the incident on the dashboard, when `http` is configured. */
  dashboardUrl?: string;
  /**
   * Identifies this event among events of the same kind for one incident (the outbox's dedup
   * key). Set by the daemon (src/store/incident-events.ts): 0 for open, the resolve time for
   * resolve, and for remind the incident's lastAlertAt (the reminder that follows the alert sent
   * at that time). Outbox.enqueue defaults it the same way, with 0 for resolve.
   */
  seq?: number;
}

/** A stored profile attached to an email (gzipped pprof bytes as stored). */
export interface ProfileAttachment {
  id: number;
  data: Buffer;
}

/** Everything a channel needs to send one alert. */
export interface AlertPayload {
  event: AlertEvent;
  profiles: { baseline?: ProfileAttachment; current?: ProfileAttachment };
}

export type ChannelType = 'slack' | 'email';

export interface Channel {
  readonly name: string;
  readonly type: ChannelType;
  /** Where it sends, secrets removed (for status output and logs). */
  readonly target: string;
  /** Resolves when the receiver accepted the message; rejects with a DeliveryError. */
  send(payload: AlertPayload): Promise<void>;
  /** Releases connections; optional. */
  close?(): void;
}

/**
 * A failed delivery, already classified: `retryable` says whether the same message may succeed
 * later; `retryAfterMs` is the receiver's own wish (HTTP Retry-After). The message is redacted.
 */
export class DeliveryError extends Error {
  readonly code: DeliveryErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, code: DeliveryErrorCode, retryable: boolean, retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
    this.retryable = retryable;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** The logger shape the alert stage needs; any structured logger with these methods fits. */
export interface AlertLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

// Block Kit, only the parts leakwatch sends (structurally compatible with @slack/types).
export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text?: Mrkdwn; fields?: Mrkdwn[] }
  | { type: 'context'; elements: Mrkdwn[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Plain fallback: notifications, screen readers, clients without Block Kit. */
  text: string;
  blocks: SlackBlock[];
}

export interface EmailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  attachments: EmailAttachment[];
}
