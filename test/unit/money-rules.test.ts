/**
 * Money (libs/money.ts) at its edges: currency codes, the one decimal check and its messages, the
 * money check with and without a currency, allocation refusals and remainders.
 */
import {
  Dec, MAX_INTEGER_DIGITS, MAX_MINOR_UNITS, allocate, checkMoney, dec, decimalProblem, formatMoney, isMoneyString, minorUnits, roundMoney, sumMoney,
} from '../../libs/money';

describe('money at the edges', () => {
  it('minor units: 2 by default, 0 / 3 / 4 where ISO 4217 says so; a malformed code is a RangeError', () => {
    expect([minorUnits('EUR'), minorUnits('CLP'), minorUnits('BHD'), minorUnits('CLF')]).toEqual([2, 0, 3, 4]);
    for (const bad of ['usd', 'US', 'USDX', ' USD']) expect(() => minorUnits(bad)).toThrow(new RangeError(`not an ISO 4217 currency code: ${bad}`));
    expect([MAX_INTEGER_DIGITS, MAX_MINOR_UNITS]).toEqual([15, 4]);
  });

  it('dec keeps a Dec as it is and reads strings exactly; its own constructor rounds half up at 60 digits', () => {
    const d = new Dec('1.5');
    expect(dec(d)).toBe(d);
    expect(dec('0.1').plus('0.2').toString()).toBe('0.3');
    expect(new Dec(1).dividedBy(3).toString()).toBe(`0.${'3'.repeat(60)}`);
    expect(new Dec(2).dividedBy(3).toString()).toBe(`0.${'6'.repeat(59)}7`);
  });

  it('formats exactly the minor units, never "-0"', () => {
    expect(formatMoney('5', 'USD')).toBe('5.00');
    expect(formatMoney('-0', 'KWD')).toBe('0.000');
    expect(formatMoney('-0.4', 'JPY')).toBe('0');
    expect(formatMoney('-0.5', 'JPY')).toBe('-1');
    expect(formatMoney('-10.10', 'USD')).toBe('-10.10');
    expect(roundMoney('0.125', 'USD').toString()).toBe('0.13');
    expect(roundMoney(new Dec('-0.125'), 'USD').toString()).toBe('-0.13');
  });

  it('decimalProblem: one message per problem', () => {
    expect(decimalProblem('10.00')).toBeNull();
    expect(decimalProblem(10)).toBe('must be a decimal string such as "1000.00"');
    expect(decimalProblem(10, { allowNegative: true })).toBe('must be a decimal string such as "-10.00"');
    expect(decimalProblem('1e3')).toBe('must be a non-negative decimal string such as "1000.00"');
    expect(decimalProblem('1e3', { allowNegative: true })).toBe('must be a decimal string such as "-10.00"');
    expect(decimalProblem('-1')).toBe('must be a non-negative decimal string such as "1000.00"');
    expect(decimalProblem('-1', { allowNegative: true })).toBeNull();
    for (const bad of ['+1', '1.', '.5', '1,000', ' 1', '1 ', '']) expect(decimalProblem(bad)).not.toBeNull();
    expect(decimalProblem('1'.repeat(15))).toBeNull();
    expect(decimalProblem('1'.repeat(16))).toBe('must have at most 15 integer digits');
    expect(decimalProblem('0001', { maxIntegerDigits: 3 })).toBe('must have at most 3 integer digits');
    expect(decimalProblem('123', { maxIntegerDigits: 3 })).toBeNull();
    expect(decimalProblem('1.123', { maxDecimals: 2 })).toBe('must have at most 2 decimals');
    expect(decimalProblem('1.12', { maxDecimals: 2 })).toBeNull();
    expect(decimalProblem('1', { maxDecimals: 0 })).toBeNull();
    expect(decimalProblem('1.5', { maxDecimals: 0 })).toBe('must have no decimals');
    expect(decimalProblem('1.5', { maxDecimals: 0, currency: 'JPY' })).toBe('JPY amounts have no decimals');
    expect(decimalProblem('1.555', { maxDecimals: 2, currency: 'USD' })).toBe('USD amounts have at most 2 decimals');
    expect(decimalProblem('1.5555555')).toBeNull();
    for (const zero of ['0', '0.00', '000', '-0', '-0.0']) expect(decimalProblem(zero, { positive: true, allowNegative: true })).toBe('must be more than zero');
    expect(decimalProblem('0.01', { positive: true })).toBeNull();
    expect(decimalProblem('10', { positive: true })).toBeNull();
  });

  it('checkMoney: the currency’s minor units, else at most 4; isMoneyString: no bound without a currency', () => {
    expect(checkMoney('1.2345')).toBeNull();
    expect(checkMoney('1.23456')).toBe('must have at most 4 decimals');
    expect(checkMoney('1.234', 'USD')).toBe('USD amounts have at most 2 decimals');
    expect(checkMoney('-1.00', 'USD')).toBe('must be a non-negative decimal string such as "1000.00"');
    expect(checkMoney('-1.00', 'USD', { allowNegative: true })).toBeNull();
    expect(checkMoney('0.00', 'USD', { positive: true })).toBe('must be more than zero');
    expect(() => checkMoney('1', 'usd')).toThrow(RangeError);
    expect(isMoneyString('1.123456789')).toBe(true);
    expect(isMoneyString('1'.repeat(16))).toBe(false);
    expect(isMoneyString('-1')).toBe(false);
  });

  it('sums exactly', () => {
    expect(sumMoney([]).toString()).toBe('0');
    expect(sumMoney(['0.1', new Dec('0.2'), '-0.05']).toString()).toBe('0.25');
  });

  it('allocation: refusals, zero total, one weight, rounding of the total first', () => {
    expect(() => allocate('1.00', [], 'USD')).toThrow(new RangeError('nothing to allocate to'));
    expect(() => allocate('1.00', ['1', '-1'], 'USD')).toThrow(new RangeError('allocation weights must not be negative'));
    expect(() => allocate('-0.01', ['1'], 'USD')).toThrow(new RangeError('cannot allocate a negative amount'));
    expect(() => allocate('1.00', ['0'], 'USD')).toThrow(new RangeError('cannot allocate a non-zero amount over zero weights'));
    expect(allocate('0.00', ['1', '2'], 'USD')).toEqual(['0.00', '0.00']);
    expect(allocate('7.00', ['3'], 'USD')).toEqual(['7.00']);
    expect(allocate('0.005', ['1', '1'], 'USD')).toEqual(['0.01', '0.00']);
    // Cents left go to the largest remainders (ties: the earlier index); a zero weight gets nothing.
    expect(allocate('1.00', ['1', '1', '1', '0'], 'USD')).toEqual(['0.34', '0.33', '0.33', '0.00']);
    expect(allocate('0.05', ['3', '1', '3.5'], 'USD')).toEqual(['0.02', '0.01', '0.02']);
    expect(allocate('100', ['1', '1', '1', '1', '1', '1'], 'JPY')).toEqual(['17', '17', '17', '17', '16', '16']);
    expect(allocate('0.10', ['0', '1'], 'USD')).toEqual(['0.00', '0.10']);
  });
});
