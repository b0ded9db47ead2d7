/** One measurement of a series, `t` in seconds since the load started. */
export interface Point {
  t: number;
  v: number;
}

/** How much a series grew over the last third of the run, by its least-squares line. */
export interface Growth {
  /** The fitted line at the start and at the end of the last third. */
  from: number;
  to: number;
  /** `(to - from) / from`. */
  share: number;
  points: number;
}

/**
 * Fits a line to the points of the last third of `runSeconds` and returns its rise over that
 * third. A line rather than first-against-last, so that one sample taken just before or after
 * a purge or a garbage collection does not decide the verdict.
 * @returns `undefined` with fewer than 3 points in the last third
 */
export function lastThirdGrowth(points: readonly Point[], runSeconds: number): Growth | undefined {
  const start = (runSeconds * 2) / 3;
  const window = points.filter((point) => point.t >= start);
  if (window.length < 3) return undefined;
  const n = window.length;
  const meanT = window.reduce((sum, p) => sum + p.t, 0) / n;
  const meanV = window.reduce((sum, p) => sum + p.v, 0) / n;
  const covariance = window.reduce((sum, p) => sum + (p.t - meanT) * (p.v - meanV), 0);
  const variance = window.reduce((sum, p) => sum + (p.t - meanT) ** 2, 0);
  const slope = variance === 0 ? 0 : covariance / variance;
  const from = meanV + slope * (start - meanT);
  const to = meanV + slope * (runSeconds - meanT);
  return { from, to, share: from === 0 ? 0 : (to - from) / from, points: n };
}
