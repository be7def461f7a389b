/** Number parsing shared by the text parsers: exact for integers up to 2^53, nearest double above. */

const UNSIGNED = /^\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * An unsigned integer as printed by Go (%d of a uint64). Number() of the decimal string is the
 * correctly rounded double, so values above 2^53 (LastGC ~1.8e18 ns) lose only what a double
 * cannot hold; nothing goes through an intermediate float.
 */
export function parseUint(raw: string): number | undefined {
  return UNSIGNED.test(raw) ? Number(raw) : undefined;
}

/** A float as printed by Go's %v / strconv 'g' (also Prometheus sample values, incl. +Inf/NaN). */
export function parseFloatStrict(raw: string): number | undefined {
  if (DECIMAL.test(raw)) return Number(raw);
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  return undefined;
}
