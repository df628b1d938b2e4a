/** 12,345 */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

/** 12.3k, 1.2M: for chart labels. */
export function formatRateShort(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(perSecond >= 1e7 ? 0 : 1)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(perSecond >= 1e4 ? 0 : 1)}k`;
  return perSecond.toFixed(0);
}

/** Milliseconds with the digits that matter: 0.412, 3.18, 41.7, 730. */
export function formatMs(ms: number): string {
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
