import { MAX_PAYLOAD_DEPTH } from './payload-limits';
import { PayloadViolation } from './payload-violation';

export type PayloadKey = string | number;

/** What the walked value is called in messages about it as a whole. */
export type PayloadRoot = 'payload' | 'result';

/**
 * Follows a recursive walk over a payload, container by container, so that no walk can go deeper than
 * MAX_PAYLOAD_DEPTH (and so overflow the stack) and every problem is named by its path, e.g.
 * `a.b[3]`. A circular payload is only told from a deep one when the limit is hit, so the walks pay
 * nothing for cycle detection.
 */
export class NestingGuard {
  /** How many containers the walk is inside. */
  private depth = 0;
  /** The walked value's own container and key; most payloads are flat, so a walk of one needs no arrays. */
  private outerKey: PayloadKey | undefined;
  private outer: object | null = null;
  /** Those below it, made on the first nested container. */
  private innerKeys: (PayloadKey | undefined)[] | null = null;
  private inner: object[] | null = null;

  constructor(readonly root: PayloadRoot) {}

  /** Call before walking into `container`, found at `key` of the current one (no key for the walked value itself). */
  enter(container: object, key?: PayloadKey): void {
    if (this.depth++ === 0) {
      this.outer = container;
      this.outerKey = key;
      return;
    }
    (this.innerKeys ??= []).push(key);
    (this.inner ??= []).push(container);
    if (this.depth > MAX_PAYLOAD_DEPTH) throw this.tooDeep();
  }

  leave(): void {
    if (--this.depth === 0) {
      this.outer = null;
      return;
    }
    this.innerKeys!.pop();
    this.inner!.pop();
  }

  /** A violation at `key` of the current container (or at the current container itself). */
  violation(key: PayloadKey | undefined, constraint: string, problem: string): PayloadViolation {
    const keys = this.keys();
    const path = pathOf(key === undefined ? keys : [...keys, key]);
    return new PayloadViolation({ path, constraints: { [constraint]: `${this.nameOf(path)} ${problem}` } });
  }

  /** The key of every container entered, outermost first. */
  private keys(): (PayloadKey | undefined)[] {
    return this.depth === 0 ? [] : [this.outerKey, ...(this.innerKeys ?? [])];
  }

  private tooDeep(): PayloadViolation {
    const keys = this.keys();
    const containers = [this.outer as object, ...(this.inner ?? [])];
    for (let inner = 1; inner < containers.length; inner++) {
      const outer = containers.indexOf(containers[inner]);
      if (outer < inner) {
        const path = pathOf(keys.slice(0, inner + 1));
        const target = pathOf(keys.slice(0, outer + 1));
        return new PayloadViolation({
          path,
          constraints: {
            noCircularReference: `${this.nameOf(path)} refers back to ${target ? target : `the ${this.root} itself`} (a circular reference), which JSON cannot carry — send a copy without the cycle`,
          },
        });
      }
    }
    const path = pathOf(keys);
    return new PayloadViolation({
      path,
      constraints: {
        maxDepth: `${this.nameOf(path)} is nested more than ${MAX_PAYLOAD_DEPTH} levels deep (objects and arrays within each other); a ${this.root} may nest at most ${MAX_PAYLOAD_DEPTH}`,
      },
    });
  }

  /**
   * The property's own name, as class-validator's messages start: a reader (and the HTTP filter, which
   * prefixes the parents) sees the whole path.
   */
  private nameOf(path: string): string {
    return path ? path.slice(path.lastIndexOf('.') + 1) : `the ${this.root}`;
  }
}

/** Walks only the containers of `value`, refusing one too deep or circular; for data nothing else walks. */
export function checkNesting(value: unknown, root: PayloadRoot): void {
  if (value === null || typeof value !== 'object') return;
  visit(value, undefined, new NestingGuard(root));
}

function visit(container: object, key: PayloadKey | undefined, guard: NestingGuard): void {
  guard.enter(container, key);
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const item: unknown = container[i];
      if (item !== null && typeof item === 'object') visit(item, i, guard);
    }
  } else {
    for (const name in container) {
      const item: unknown = (container as Record<string, unknown>)[name];
      if (item !== null && typeof item === 'object' && Object.prototype.hasOwnProperty.call(container, name)) visit(item, name, guard);
    }
  }
  guard.leave();
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `a.b[3]["odd key"]`, from the keys below the walked value (the first, its own, is undefined). */
function pathOf(keys: readonly (PayloadKey | undefined)[]): string {
  let path = '';
  for (const key of keys) {
    if (key === undefined) continue;
    if (typeof key === 'number') path += `[${key}]`;
    else if (IDENTIFIER.test(key)) path += path ? `.${key}` : key;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}
