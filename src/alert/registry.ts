/**
 * Channel registry: builds one Channel per configured channel from its typed config, refusing
 * unknown types and duplicate names. Also `testAlert`, which sends a marked test message.
 */
import { hostname } from 'node:os';
import type { ChannelConfig } from '../config/schema.js';
import { EmailChannel, type EmailOptions } from './email.js';
import { SlackChannel, type SlackOptions } from './slack.js';
import { DeliveryError, type AlertEvent, type Channel, type ChannelType } from './types.js';
import { redactAlertText } from './redact.js';

export interface ChannelOptions {
  slack?: SlackOptions;
  email?: EmailOptions;
}

type Factory<T extends ChannelType> = (config: Extract<ChannelConfig, { type: T }>, opts: ChannelOptions) => Channel;

/** One entry per channel type; TypeScript insists every ChannelConfig type has a factory. */
const FACTORIES: { [T in ChannelType]: Factory<T> } = {
  slack: (c, o) => new SlackChannel(c, o.slack),
  email: (c, o) => new EmailChannel(c, o.email),
};

export const CHANNEL_TYPES = Object.keys(FACTORIES) as ChannelType[];

/**
 * Builds the channels, keyed by name. Accepts the config's record (name → config) or a list.
 * Every problem is reported at once, as config validation does.
 */
export function createChannels(
  configs: Record<string, ChannelConfig> | readonly ChannelConfig[],
  opts: ChannelOptions = {},
): Map<string, Channel> {
  const list = Array.isArray(configs)
    ? (configs as readonly ChannelConfig[])
    : Object.entries(configs as Record<string, ChannelConfig>).map(([key, c]) => ({ ...c, name: c.name ?? key }));
  const out = new Map<string, Channel>();
  const errors: string[] = [];
  for (const config of list) {
    const type = (config as { type: unknown }).type;
    if (typeof type !== 'string' || !Object.hasOwn(FACTORIES, type)) {
      errors.push(`channels.${config.name}: unknown channel type ${JSON.stringify(type)} (known: ${CHANNEL_TYPES.join(', ')})`);
      continue;
    }
    if (out.has(config.name)) {
      errors.push(`channels.${config.name}: duplicate channel name`);
      continue;
    }
    const factory = FACTORIES[config.type] as Factory<ChannelType>;
    try {
      out.set(config.name, factory(config as never, opts));
    } catch (err) {
      errors.push(`channels.${config.name}: ${redactAlertText((err as Error).message)}`);
    }
  }
  if (errors.length > 0) throw new Error(`creating alert channels: ${errors.join('; ')}`);
  return out;
}

export interface TestAlertResult {
  channel: string;
  ok: boolean;
  /** Redacted. */
  error?: string;
}

/** The event `leakwatch test-alert` sends: a stand-in incident, marked as a test everywhere. */
export function testEvent(host: string = hostname(), dashboardUrl?: string): AlertEvent {
  const now = Date.now();
  return {
    kind: 'test',
    host,
    ...(dashboardUrl ? { dashboardUrl } : {}),
    incident: {
      id: 0,
      service: 'leakwatch-test',
      metric: 'heap',
      openedAt: now,
      resolvedAt: null,
      slopePerHour: 0,
      confidence: 0,
      current: 0,
      timeToLimitHours: null,
      topGrowth: [],
      topGoroutines: [],
    },
  };
}

/**
 * Sends a test message to the named channels (default: all), directly, not through the
 * outbox: the operator is waiting for the answer. Never throws for a channel's failure.
 */
export async function testAlert(
  channels: Map<string, Channel>,
  names?: readonly string[],
  opts: { host?: string; dashboardUrl?: string } = {},
): Promise<TestAlertResult[]> {
  const event = testEvent(opts.host, opts.dashboardUrl);
  const wanted = names && names.length > 0 ? names : [...channels.keys()];
  return Promise.all(
    wanted.map(async (name): Promise<TestAlertResult> => {
      const ch = channels.get(name);
      if (!ch) return { channel: name, ok: false, error: `unknown channel "${name}" (configured: ${[...channels.keys()].join(', ') || 'none'})` };
      try {
        await ch.send({ event, profiles: {} });
        return { channel: name, ok: true };
      } catch (err) {
        const msg = err instanceof DeliveryError ? err.message : redactAlertText(String((err as Error)?.message ?? err));
        return { channel: name, ok: false, error: msg };
      }
    }),
  );
}
