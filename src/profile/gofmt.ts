/**
 * Go-exact number formatting for `go tool pprof` text output.
 *
 * Go's strconv formats the exact binary value of a float64 and rounds half to even on exact
 * ties; JS toFixed/toPrecision round half up ("1.125" -> Go "1.12", JS "1.13"). Everything here
 * works on the exact value (mantissa * 2^exponent) with BigInt, so ties are decided exactly.
 */

/** The exact decimal digits of |x| rounded to `digits` significant digits: value = 0.d1d2... * 10^dp. */
interface Decimal {
  /** Digits without trailing zeros; "" for zero. */
  d: string;
  /** Decimal point position: value = 0.<d> * 10^dp. */
  dp: number;
}

const scratch = new DataView(new ArrayBuffer(8));

/** |x| = mant * 2^exp exactly (x finite). */
function decompose(x: number): { mant: bigint; exp: number } {
  scratch.setFloat64(0, Math.abs(x));
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mant, exp: -1074 };
  mant |= 1n << 52n;
  return { mant, exp: biased - 1075 };
}

/** round(num/den) with ties to even. */
function divRoundEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

const pow10Cache: bigint[] = [];
function pow10(n: number): bigint {
  let v = pow10Cache[n];
  if (v === undefined) {
    v = 10n ** BigInt(n);
    pow10Cache[n] = v;
  }
  return v;
}

/** round(|x| * 10^shift) to an integer, ties to even (shift may be negative). */
function scaledRound(x: number, shift: number): bigint {
  const { mant, exp } = decompose(x);
  let num = mant;
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  if (shift >= 0) num *= pow10(shift);
  else den *= pow10(-shift);
  return divRoundEven(num, den);
}

function trimZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48) end--;
  return s.slice(0, end);
}

/** |x| rounded to `digits` significant digits, trailing zeros trimmed (strconv's %e/%g digit generation). */
function significant(x: number, digits: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  // Estimate the decimal exponent, then correct it exactly.
  let k = Math.floor(Math.log10(Math.abs(x)));
  for (;;) {
    const q = scaledRound(x, digits - 1 - k);
    const s = q.toString();
    if (s.length === digits) return { d: trimZeros(s), dp: k + 1 };
    if (s.length > digits) {
      // Either the estimate was low or rounding carried into a new digit (9.99 -> 10.0).
      if (s === '1' + '0'.repeat(digits)) return { d: '1', dp: k + 2 };
      k++;
    } else {
      k--;
    }
  }
}

/** Go `fmt.Sprintf("%.<prec>f", x)`. */
export function formatF(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  let s = scaledRound(x, prec).toString();
  if (prec > 0) {
    if (s.length <= prec) s = '0'.repeat(prec - s.length + 1) + s;
    s = s.slice(0, s.length - prec) + '.' + s.slice(s.length - prec);
  }
  return neg ? '-' + s : s;
}

/** strconv fmtE for the digits in `d` with `prec` fraction digits. */
function fmtE(neg: boolean, d: Decimal, prec: number): string {
  let out = neg ? '-' : '';
  out += d.d.length > 0 ? d.d[0] : '0';
  if (prec > 0) {
    let frac = d.d.slice(1, prec + 1);
    frac += '0'.repeat(prec - frac.length);
    out += '.' + frac;
  }
  let exp = d.d.length === 0 ? 0 : d.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return out + 'e' + sign + (exp < 10 ? '0' + exp : String(exp));
}

/** strconv fmtF for the digits in `d` with `prec` fraction digits. */
function fmtF(neg: boolean, d: Decimal, prec: number): string {
  const digit = (i: number): string => (i >= 0 && i < d.d.length ? d.d[i] : '0');
  let out = neg ? '-' : '';
  if (d.dp > 0) {
    for (let i = 0; i < d.dp; i++) out += digit(i);
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digit(d.dp + i - 1);
  }
  return out;
}

/** Go `fmt.Sprintf("%.<prec>g", x)` (strconv formatDigits, 'g' branch). */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (prec === 0) prec = 1;
  const neg = x < 0 || Object.is(x, -0);
  const d = significant(x, prec);
  const nd = d.d.length;
  let eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    return fmtE(neg, d, Math.min(prec, nd) - 1);
  }
  if (prec > d.dp) prec = nd;
  return fmtF(neg, d, Math.max(prec - d.dp, 0));
}

/** Go `%<width>s`: right-aligned, never truncated. */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** pprof `internal/measurement`: unit families with their canonical names, aliases and factors. */
interface Unit {
  name: string;
  aliases: string[];
  factor: number;
}
interface UnitFamily {
  defaultUnit: Unit;
  units: Unit[];
}

const UNIT_FAMILIES: UnitFamily[] = [
  {
    units: [
      { name: 'B', aliases: ['b', 'byte'], factor: 1 },
      { name: 'kB', aliases: ['kb', 'kbyte', 'kilobyte'], factor: 2 ** 10 },
      { name: 'MB', aliases: ['mb', 'mbyte', 'megabyte'], factor: 2 ** 20 },
      { name: 'GB', aliases: ['gb', 'gbyte', 'gigabyte'], factor: 2 ** 30 },
      { name: 'TB', aliases: ['tb', 'tbyte', 'terabyte'], factor: 2 ** 40 },
      { name: 'PB', aliases: ['pb', 'pbyte', 'petabyte'], factor: 2 ** 50 },
    ],
    defaultUnit: { name: 'B', aliases: ['b', 'byte'], factor: 1 },
  },
  {
    units: [
      { name: 'ns', aliases: ['ns', 'nanosecond'], factor: 1 },
      { name: 'us', aliases: ['μs', 'us', 'microsecond'], factor: 1e3 },
      { name: 'ms', aliases: ['ms', 'millisecond'], factor: 1e6 },
      { name: 's', aliases: ['s', 'sec', 'second'], factor: 1e9 },
      { name: 'hrs', aliases: ['hour', 'hr'], factor: 3600e9 },
    ],
    defaultUnit: { name: 's', aliases: [], factor: 1e9 },
  },
  {
    units: [
      { name: 'n*GCU', aliases: ['nanogcu'], factor: 1e-9 },
      { name: 'u*GCU', aliases: ['microgcu'], factor: 1e-6 },
      { name: 'm*GCU', aliases: ['milligcu'], factor: 1e-3 },
      { name: 'GCU', aliases: ['gcu'], factor: 1 },
      { name: 'k*GCU', aliases: ['kilogcu'], factor: 1e3 },
      { name: 'M*GCU', aliases: ['megagcu'], factor: 1e6 },
      { name: 'G*GCU', aliases: ['gigagcu'], factor: 1e9 },
      { name: 'T*GCU', aliases: ['teragcu'], factor: 1e12 },
      { name: 'P*GCU', aliases: ['petagcu'], factor: 1e15 },
    ],
    defaultUnit: { name: 'GCU', aliases: [], factor: 1 },
  },
];

function sniffUnit(family: UnitFamily, unit: string): Unit | undefined {
  let u = unit.toLowerCase();
  if (u.length > 2 && u.endsWith('s')) u = u.slice(0, -1);
  return family.units.find((x) => x.aliases.includes(u));
}

/** pprof `measurement.Scale`: value in `fromUnit` expressed in `toUnit` ("minimum"/"auto" pick one). */
export function scaleValue(value: number, fromUnit: string, toUnit: string): [number, string] {
  if (value < 0) {
    const [v, u] = scaleValue(-value, fromUnit, toUnit);
    return [-v, u];
  }
  for (const family of UNIT_FAMILIES) {
    const from = sniffUnit(family, fromUnit);
    if (!from) continue;
    const v = value * from.factor;
    if (toUnit === 'minimum' || toUnit === 'auto') {
      let f = 0;
      let name = '';
      for (const u of family.units) {
        if (u.factor >= f && v / u.factor >= 1) {
          f = u.factor;
          name = u.name;
        }
      }
      if (f !== 0) return [v / f, name];
      return [v / family.defaultUnit.factor, family.defaultUnit.name];
    }
    const to = sniffUnit(family, toUnit);
    if (!to) return [v / family.defaultUnit.factor, family.defaultUnit.name];
    return [v / to.factor, to.name];
  }
  switch (toUnit) {
    case 'count':
    case 'sample':
    case 'unit':
    case 'minimum':
    case 'auto':
      return [value, ''];
    default:
      return [value, toUnit];
  }
}

/** pprof `measurement.ScaledLabel`: "20500.01kB", "4MB", "-3.92kB", "0", "11". */
export function scaledLabel(value: number, fromUnit: string, toUnit: string): string {
  const [v, u] = scaleValue(value, fromUnit, toUnit);
  let sv = formatF(v, 2);
  if (sv.endsWith('.00')) sv = sv.slice(0, -3);
  if (sv === '0' || sv === '-0') return '0';
  return sv + u;
}

/** pprof `measurement.Percentage`: |value/total| in percent, at least two significant digits. */
export function percentage(value: number, total: number): string {
  const ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) return '  100%';
  if (ratio >= 1) return padLeft(formatF(ratio, 2), 5) + '%';
  return padLeft(formatG(ratio, 2), 5) + '%';
}
