import { allocate, formatMoney, isMoneyString, minorUnits, roundMoney, sumMoney } from '../../libs/money';

describe('money', () => {
  it('knows the minor units of USD, JPY and KWD', () => {
    expect([minorUnits('USD'), minorUnits('JPY'), minorUnits('KWD')]).toEqual([2, 0, 3]);
  });

  it('rounds half away from zero to the minor unit', () => {
    expect(formatMoney(roundMoney('2.345', 'USD'), 'USD')).toBe('2.35');
    expect(formatMoney(roundMoney('-2.345', 'USD'), 'USD')).toBe('-2.35');
    expect(formatMoney(roundMoney('2.344', 'USD'), 'USD')).toBe('2.34');
    expect(formatMoney('1000.5', 'JPY')).toBe('1001');
    expect(formatMoney('1.0005', 'KWD')).toBe('1.001');
    expect(formatMoney('-0.001', 'USD')).toBe('0.00');
  });

  it('checks decimal strings against the currency', () => {
    expect(isMoneyString('10.00', 'USD')).toBe(true);
    expect(isMoneyString('10.001', 'USD')).toBe(false);
    expect(isMoneyString('10.5', 'JPY')).toBe(false);
    expect(isMoneyString('1.000', 'KWD')).toBe(true);
    expect(isMoneyString('-1.00', 'USD')).toBe(false);
    expect(isMoneyString('-1.00', 'USD', { allowNegative: true })).toBe(true);
    expect(isMoneyString('1e3')).toBe(false);
  });

  it('allocates USD by relative weight, leftover cents to the largest remainders', () => {
    // 100.00 over 1:1:1 → 33.33 each exact 33.333…, one cent left: ties go to the earliest.
    expect(allocate('100.00', ['1', '1', '1'], 'USD')).toEqual(['33.34', '33.33', '33.33']);
    // 100,000 over 60k/90k SSP (DESIGN p3): 40,000 / 60,000.
    expect(allocate('100000.00', ['60000.00', '90000.00'], 'USD')).toEqual(['40000.00', '60000.00']);
  });

  it('allocates the largest remainder first, not the earliest, when remainders differ', () => {
    // 10.00 over 1:2:3 → 1.666…, 3.333…, 5.00: the 0.666 remainder wins the cent.
    expect(allocate('10.00', ['1', '2', '3'], 'USD')).toEqual(['1.67', '3.33', '5.00']);
  });

  it('allocates JPY (0 decimals) and KWD (3 decimals) in whole minor units', () => {
    expect(allocate('1000', ['1', '1', '1'], 'JPY')).toEqual(['334', '333', '333']);
    expect(allocate('1.000', ['1', '1', '1'], 'KWD')).toEqual(['0.334', '0.333', '0.333']);
  });

  it('shares always sum exactly to the price (many random splits)', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const currency of ['USD', 'JPY', 'KWD']) {
      for (let i = 0; i < 300; i += 1) {
        const places = minorUnits(currency);
        const total = (Math.floor(rand() * 10 ** (6 + places)) / 10 ** places).toFixed(places);
        const weights = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => (1 + Math.floor(rand() * 100000)).toString());
        const shares = allocate(total, weights, currency);
        expect(formatMoney(sumMoney(shares), currency)).toBe(formatMoney(total, currency));
        for (const s of shares) expect(isMoneyString(s, currency)).toBe(true);
      }
    }
  });

  it('refuses negative amounts and all-zero weights for a non-zero amount', () => {
    expect(() => allocate('-1.00', ['1'], 'USD')).toThrow(RangeError);
    expect(() => allocate('1.00', ['0', '0'], 'USD')).toThrow(RangeError);
    expect(allocate('0.00', ['0', '0'], 'USD')).toEqual(['0.00', '0.00']);
  });
});
