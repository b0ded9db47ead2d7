/**
 * Whether the money routes complete their key inside the handler's transaction. Always on, but
 * for the chaos test's control run: `SAMPLE_FAULTS=1 SAMPLE_TRANSACTIONAL=0` turns it off to
 * show the window it closes (a crash between the handler's commit and the key's completion).
 * Read once, when the controllers load, because decorator options are static.
 */
export const MONEY_ROUTES_TRANSACTIONAL = !(
  process.env.SAMPLE_FAULTS === '1' && process.env.SAMPLE_TRANSACTIONAL === '0'
);
