/**
 * Slack Block Kit rendering of an alert. Pure. Slack rejects a whole message that breaks one of
 * its limits (invalid_blocks), so every text is cut to size here rather than trusted to fit.
 */
import { buildContent, type AlertContent } from './message.js';
import type { AlertEvent, Mrkdwn, SlackBlock, SlackMessage } from './types.js';

/** Slack's documented limits. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Slack truncates the top-level text beyond 40,000; keep the fallback far below. */
  fallbackText: 3000,
} as const;

/** Slack mrkdwn control characters; everything else is literal. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code keeps `*` and `_` in Go names from turning into bold and italics. */
function code(s: string): string {
  return `\`${escapeMrkdwn(s.replace(/`/g, "'"))}\``;
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1)}…`;
}

function mrkdwn(text: string, max: number): Mrkdwn {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

/** Joins lines up to the limit, ending with "… and N more" instead of a cut line. */
function fitLines(head: string, lines: string[], max: number, more = 0): string {
  let out = head;
  let shown = 0;
  for (const line of lines) {
    const rest = lines.length - shown - 1 + more;
    const tail = rest > 0 ? `\n… and ${rest} more` : '';
    if (out.length + 1 + line.length + tail.length > max) break;
    out += `\n${line}`;
    shown++;
  }
  const rest = lines.length - shown + more;
  return rest > 0 ? `${out}\n… and ${rest} more` : out;
}

/** Code block of a stack, cut to fit one section. */
function stackBlock(frames: string[], max: number): string {
  const body = frames.map((f) => escapeMrkdwn(f.replace(/```/g, "'''"))).join('\n');
  return `\`\`\`${truncate(body, max - 6)}\`\`\``;
}

export function slackBlocks(c: AlertContent): SlackBlock[] {
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(c.headline, SLACK_LIMITS.headerText), emoji: true } },
    section(escapeMrkdwn(c.summary)),
  ];
  if (c.kind !== 'test') {
    blocks.push({
      type: 'section',
      fields: c.facts
        .slice(0, SLACK_LIMITS.fields)
        .map((f) => mrkdwn(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText)),
    });
  }
  if (c.note) blocks.push(section(`:warning: ${escapeMrkdwn(c.note)}`));
  if (c.growth.length > 0) {
    const lines = c.growth.map((g) => {
      const detail = [g.delta, g.share && `${g.share} of growth`, g.objects].filter(Boolean).join(' · ');
      return `• ${code(g.function)}\n    ${escapeMrkdwn(detail)}`;
    });
    blocks.push(section(fitLines('*Top growth (heap diff, baseline → now)*', lines, SLACK_LIMITS.sectionText, c.moreGrowth)));
  }
  for (const g of c.goroutines) {
    const head = `*${escapeMrkdwn(g.delta)} goroutines* (${escapeMrkdwn(g.count)} now) blocked in ${code(g.function)}`;
    blocks.push(section(`${head}\n${stackBlock(g.stack, SLACK_LIMITS.sectionText - head.length - 1)}`));
  }
  if (c.nextStep) blocks.push(section(`*Next step*\n\`\`\`${escapeMrkdwn(c.nextStep)}\`\`\``));
  if (c.dashboardUrl && /^https?:\/\//i.test(c.dashboardUrl)) {
    // `|` and `>` would end the link early; URLs from config never need them unescaped.
    const url = c.dashboardUrl.replace(/[|>]/g, encodeURIComponent);
    blocks.push(section(`<${url}|Open in the leakwatch dashboard>`));
  }
  const context = [`leakwatch`, c.host];
  if (c.incidentId !== undefined) context.push(`incident #${c.incidentId}`);
  if (c.kind === 'test') context.push('test message');
  blocks.push({ type: 'context', elements: [mrkdwn(escapeMrkdwn(context.join(' · ')), SLACK_LIMITS.fieldText)] });
  if (blocks.length > SLACK_LIMITS.blocks) {
    // Keep the context line last; drop the least important middle blocks (the later stacks).
    return [...blocks.slice(0, SLACK_LIMITS.blocks - 1), blocks[blocks.length - 1]];
  }
  return blocks;
}

/** Plain fallback: what phone notifications and screen readers show. */
export function slackText(c: AlertContent): string {
  const top = c.growth[0] ? ` Top growth: ${c.growth[0].function} ${c.growth[0].delta}.` : '';
  const stack = c.goroutines[0] ? ` Blocked in ${c.goroutines[0].function} (${c.goroutines[0].delta}).` : '';
  const prefix = c.kind === 'resolve' ? 'RESOLVED ' : c.kind === 'test' ? 'TEST ' : '';
  return truncate(escapeMrkdwn(`[leakwatch] ${prefix}${c.title} — ${c.summary}${top}${stack}`), SLACK_LIMITS.fallbackText);
}

export function buildSlackMessage(ev: AlertEvent): SlackMessage {
  const c = buildContent(ev);
  return { text: slackText(c), blocks: slackBlocks(c) };
}
