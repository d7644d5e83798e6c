/**
 * Money: decimal.js inside, decimal strings at every boundary, never JS numbers.
 * Pure (no Node APIs): the workflow bundle imports it too.
 */
import Decimal from 'decimal.js';

/** A Decimal constructor of our own (never the global one): 60 significant digits, half away from zero. */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Dec = InstanceType<typeof Dec>;
export type MoneyInput = string | Dec;

/** ISO 4217 minor units that are not 2. Every other valid currency code has 2. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

const CURRENCY_CODE = /^[A-Z]{3}$/;

export function minorUnits(currency: string): number {
  if (!CURRENCY_CODE.test(currency)) throw new RangeError(`not an ISO 4217 currency code: ${currency}`);
  return MINOR_UNITS[currency] ?? 2;
}

export function dec(value: MoneyInput): Dec {
  return value instanceof Dec ? value : new Dec(value);
}

/** Rounds half away from zero to the currency's minor unit. */
export function roundMoney(value: MoneyInput, currency: string): Dec {
  return dec(value).toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP);
}

/** The canonical string of an amount: exactly the currency's minor units ("10.00", "1000", "1.000"). */
export function formatMoney(value: MoneyInput, currency: string): string {
  const s = roundMoney(value, currency).toFixed(minorUnits(currency));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** At most this many integer digits in any money figure (DESIGN §11): anything under a quadrillion. */
export const MAX_INTEGER_DIGITS = 15;
/** The most minor units any currency has (CLF, UYW): the decimals bound where the currency is not known. */
export const MAX_MINOR_UNITS = 4;

export interface DecimalRules {
  /** Refuse a leading minus (default: refused). */
  allowNegative?: boolean;
  /** Refuse zero (and -0). */
  positive?: boolean;
  /** At most this many decimals (default: no bound). */
  maxDecimals?: number;
  /** At most this many integer digits, leading zeros included (default: MAX_INTEGER_DIGITS). */
  maxIntegerDigits?: number;
  /** Names the currency in the decimals message ("USD amounts have at most 2 decimals"). */
  currency?: string;
}

/**
 * The one check of a decimal string at a boundary: why `value` is not one (a message for the
 * field), or null. Plain digits only ("1000.00"; no exponent, sign "+", separators or spaces);
 * nothing is rounded, so a figure with too many decimals is refused, never fixed.
 */
export function decimalProblem(value: unknown, rules: DecimalRules = {}): string | null {
  const example = rules.allowNegative ? '"-10.00"' : '"1000.00"';
  if (typeof value !== 'string') return `must be a decimal string such as ${example}`;
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return rules.allowNegative ? `must be a decimal string such as ${example}` : `must be a non-negative decimal string such as ${example}`;
  if (m[1] && !rules.allowNegative) return `must be a non-negative decimal string such as ${example}`;
  const maxIntegerDigits = rules.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  if (m[2]!.length > maxIntegerDigits) return `must have at most ${maxIntegerDigits} integer digits`;
  if (rules.maxDecimals !== undefined && (m[3]?.length ?? 0) > rules.maxDecimals) {
    const most = rules.maxDecimals === 0 ? 'no decimals' : `at most ${rules.maxDecimals} decimals`;
    return rules.currency !== undefined ? `${rules.currency} amounts have ${most}` : `must have ${most}`;
  }
  if (rules.positive && /^-?0+(\.0+)?$/.test(value)) return 'must be more than zero';
  return null;
}

export interface MoneyRules {
  allowNegative?: boolean;
  positive?: boolean;
}

/**
 * Why `value` is not a money figure (DESIGN §11), or null: a decimal string with at most
 * MAX_INTEGER_DIGITS integer digits and at most the currency's minor units ("10.00" USD, "1000"
 * JPY, "1.250" KWD). Without a currency, at most MAX_MINOR_UNITS decimals (the body's currency
 * narrows it at the object level). Throws RangeError for a malformed currency code.
 */
export function checkMoney(value: unknown, currency?: string, rules: MoneyRules = {}): string | null {
  const maxDecimals = currency === undefined ? MAX_MINOR_UNITS : minorUnits(currency);
  return decimalProblem(value, { allowNegative: rules.allowNegative, positive: rules.positive, maxDecimals, currency });
}

/**
 * True when the string is a plain decimal with at most MAX_INTEGER_DIGITS integer digits and, given
 * a currency, no more decimals than it allows (no decimals bound without one).
 */
export function isMoneyString(value: string, currency?: string, opts: { allowNegative?: boolean } = {}): boolean {
  return decimalProblem(value, { allowNegative: opts.allowNegative, maxDecimals: currency === undefined ? undefined : minorUnits(currency) }) === null;
}

export function sumMoney(values: readonly MoneyInput[]): Dec {
  return values.reduce<Dec>((acc, v) => acc.plus(dec(v)), new Dec(0));
}

/**
 * Splits `total` in proportion to `weights` (DESIGN §6): each share is rounded down to the minor
 * unit, and the units left over go one each to the largest remainders (ties: the earlier index).
 * The shares always sum exactly to `total`.
 */
export function allocate(total: MoneyInput, weights: readonly MoneyInput[], currency: string): string[] {
  const places = minorUnits(currency);
  const unit = new Dec(10).pow(-places);
  const amount = roundMoney(total, currency);
  if (amount.isNegative()) throw new RangeError('cannot allocate a negative amount');
  const ws = weights.map(dec);
  if (ws.some((w) => w.isNegative())) throw new RangeError('allocation weights must not be negative');
  const weightSum = sumMoney(ws);
  if (ws.length === 0) throw new RangeError('nothing to allocate to');
  if (weightSum.isZero()) {
    if (!amount.isZero()) throw new RangeError('cannot allocate a non-zero amount over zero weights');
    return ws.map(() => formatMoney('0', currency));
  }
  const exact = ws.map((w) => amount.times(w).dividedBy(weightSum));
  const shares = exact.map((x) => x.toDecimalPlaces(places, Decimal.ROUND_DOWN));
  let leftoverUnits = amount.minus(sumMoney(shares)).dividedBy(unit).round().toNumber();
  const order = exact
    .map((x, i) => ({ i, remainder: x.minus(shares[i]!) }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.i - b.i);
  for (const { i } of order) {
    if (leftoverUnits <= 0) break;
    shares[i] = shares[i]!.plus(unit);
    leftoverUnits -= 1;
  }
  return shares.map((s) => formatMoney(s, currency));
}
