/** How many job ids a client remembers from publishes that got no answer; the oldest are forgotten first. */
const REMEMBERED = 10_000;

/**
 * The nonce each job went with in a publish that got no answer (Redis unreachable, or no reply in
 * time): that publish may have run, or may still run when ioredis sends it after reconnecting. When
 * the caller publishes the job again, as RedisUnavailableError tells them to, it goes with the same
 * nonce, so publish.lua takes the two for one call: the job is enqueued once and the retry resolves,
 * instead of being refused as a duplicate of a job the caller could not know was there.
 */
export class UnansweredPublishes {
  private readonly nonces = new Map<string, string>();

  /** Per job id: the nonce of its unanswered publish, or this call's own. */
  noncesFor(ids: readonly string[], callNonce: string): string[] {
    return ids.map((id) => this.nonces.get(id) ?? callNonce);
  }

  /** The call's outcome: `answered` false when it may or may not have run. */
  settled(ids: readonly string[], nonces: readonly string[], answered: boolean): void {
    if (answered) {
      for (const id of ids) this.nonces.delete(id);
      return;
    }
    ids.forEach((id, i) => this.nonces.set(id, nonces[i]));
    for (const oldest of this.nonces.keys()) {
      if (this.nonces.size <= REMEMBERED) break;
      this.nonces.delete(oldest);
    }
  }
}
