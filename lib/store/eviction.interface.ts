/** Options of `evict()`. */
export interface EvictKeyOptions {
  /**
   * Also evict a key whose request is still running. That request's completion is then refused
   * (its claim is gone), and a retry runs the operation again, possibly while the first still
   * runs: use it for a claim you know is stuck.
   * @default false
   */
  force?: boolean;
}

/** What `evict()` did. */
export type Eviction =
  /** Deleted; `status` is what the key was. A later request with it runs as new. */
  | { evicted: true; status: 'in_progress' | 'completed' }
  /** No such key (a transactional claim is invisible until its transaction commits). */
  | { evicted: false; reason: 'not_found' }
  /** Left alone: its request is still running (a live claim) and `force` was not set. */
  | { evicted: false; reason: 'in_flight' };
