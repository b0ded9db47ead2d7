/** Injection token: whether `SAMPLE_FAULTS=1` turned fault injection on. */
export const FAULTS_ENABLED = Symbol('FAULTS_ENABLED');
