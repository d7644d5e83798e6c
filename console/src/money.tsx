/**
 * Money in the console stays a decimal string (as the API gives it): sums and differences with
 * decimal.js, display by string formatting. A figure becomes a JS number only to be plotted
 * (`plotValue`), never for arithmetic or display.
 */
import Decimal from 'decimal.js';

/** Minor units of the currencies with other than 2 (ISO 4217), as the API uses them. */
const MINOR_UNITS: Record<string, number> = {
  JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, XPF: 0, PYG: 0, RWF: 0, KMF: 0, GNF: 0, DJF: 0, VUV: 0,
  KWD: 3, BHD: 3, OMR: 3, JOD: 3, IQD: 3, LYD: 3, TND: 3,
};

export const minorUnits = (currency: string) => MINOR_UNITS[currency] ?? 2;

export function sum(values: string[], currency: string): string {
  return values.reduce((acc, v) => acc.plus(v), new Decimal(0)).toFixed(minorUnits(currency));
}

export function minus(a: string, b: string, currency: string): string {
  return new Decimal(a).minus(b).toFixed(minorUnits(currency));
}

export const isZero = (v: string) => new Decimal(v).isZero();
export const isPositive = (v: string) => new Decimal(v).greaterThan(0);

/** "1234567.50" → "1,234,567.50" (string formatting only: nothing is rounded). */
export function formatAmount(value: string): string {
  const negative = value.startsWith('-');
  const [int = '0', frac] = (negative ? value.slice(1) : value).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

export function formatMoney(value: string, currency: string): string {
  return `${formatAmount(value)} ${currency}`;
}

/**
 * A decimal string as a JS number, for Chart.js to plot only (a chart needs numbers; the figures
 * shown in tables and tooltips stay the exact strings).
 */
export function plotValue(value: string | undefined): number {
  return value === undefined ? 0 : Number(value);
}
