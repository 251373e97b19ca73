import { describe, expect, it } from 'vitest';
import { etaText } from '../../../cli/progress.ts';

describe('the CLI progress bar: time left', () => {
  it('when nothing is left, then 0s, whatever the rate', () => {
    expect(etaText(0, 0)).toBe('0s');
    expect(etaText(0, 100)).toBe('0s');
  });

  it('when no movement has been seen yet, then an ellipsis, not NULL or NaN', () => {
    expect(etaText(500, 0)).toBe('…');
    expect(etaText(500, Number.NaN)).toBe('…');
  });

  it('when a rate is known, then seconds, minutes and seconds, or hours and minutes, rounded up', () => {
    expect(etaText(10, 3)).toBe('4s');
    expect(etaText(185, 1)).toBe('3m 05s');
    expect(etaText(3720, 1)).toBe('1h 02m');
    expect(etaText(1_000_000, 0.5)).toBe('555h 33m');
  });
});
