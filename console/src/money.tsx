/**
 * Money in the console stays a decimal string (as the API gives it): sums and differences with
 * decimal.js, display by string formatting. A figure becomes a JS number only to be plotted
 * (`plotValue`), never for arithmetic or display.
 */
import { dec, formatMoney as canonical, sumMoney } from '../../libs/money';

/** Sums and differences in the currency's minor units: the rules of libs/money.ts (the API's). */
export function sum(values: string[], currency: string): string {
  return canonical(sumMoney(values), currency);
}

export function minus(a: string, b: string, currency: string): string {
  return canonical(dec(a).minus(b), currency);
}

export const isZero = (v: string) => dec(v).isZero();
export const isPositive = (v: string) => dec(v).greaterThan(0);

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
