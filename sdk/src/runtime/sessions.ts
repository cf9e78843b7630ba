/**
 * Which cookie jar a call uses (shared/spec/flow-format.md, "Session semantics in detail").
 *
 * - `none`: no jar for any call.
 * - `onIntegrationFlow`: one jar for every exchange of the runner.
 * - `onExchange`: a tree of *session nodes* per exchange. The exchange itself is the root
 *   node; every parallel split item and parallel multicast branch forks a child node. A node
 *   records, per origin, which node *owns* the session for that origin:
 *     - a fork copies its parent's map at the moment it starts (a branch is a copy of an
 *       exchange: it sees the sessions the exchange already had, nothing later);
 *     - a call to an origin the node has no owner for makes the node itself the owner.
 *   So a branch that starts after the exchange called an origin (a priming call) shares the
 *   exchange's jar; a branch that starts before opens its own session in its own jar, which
 *   inherits nothing. Sequential splits, loops and sequential multicasts stay on the node
 *   they run in. Sessions a branch opens are not handed back to the exchange.
 *   Jars are created lazily, on a node's first session-capable call, and released (after
 *   logoff) when the exchange ends.
 *
 * Receivers that opt out (`session: none`) or whose adapter variant cannot reuse sessions
 * get no jar in any mode.
 */
import type { SessionHandling } from '../flow/model.js';
import type { SessionJar, SessionScope, SessionStore } from '../http/jar.js';

/** Something that holds (lazily) one jar and remembers which receivers opened a session in it. */
export class JarHolder {
  private jarValue: SessionJar | null | undefined;
  /** receiver name → address the session was opened against (for logoff). */
  readonly opened = new Map<string, string>();

  constructor(
    private readonly store: SessionStore,
    readonly scope: SessionScope,
  ) {}

  get created(): boolean {
    return this.jarValue !== undefined && this.jarValue !== null;
  }

  jar(): SessionJar | null {
    if (this.jarValue === undefined) this.jarValue = this.store.jarFor(this.scope);
    return this.jarValue;
  }

  release(): void {
    if (this.jarValue !== undefined) this.store.release(this.scope);
    this.jarValue = undefined;
  }
}

export class SessionNode {
  /**
   * origin → owning node. Copy on write: a fork shares its parent's map until either of them
   * records a new owner, so a branch still sees the map as it was when it started.
   */
  private owners: Map<string, SessionNode>;
  /** `owners` is shared with a fork or a parent: copy it before changing it. */
  private sharedOwners = false;
  private holderValue: JarHolder | undefined;

  constructor(
    private readonly tree: ExchangeSessions,
    readonly label: string,
    parent?: SessionNode,
  ) {
    if (parent) {
      this.owners = parent.owners;
      parent.sharedOwners = true;
      this.sharedOwners = true;
    } else {
      this.owners = new Map();
    }
  }

  /** A child node for a parallel branch, starting now. */
  fork(label: string): SessionNode {
    return new SessionNode(this.tree, label, this);
  }

  /** The holder that owns the session for `origin` as seen from this node (marks the origin as called). */
  holderFor(origin: string): JarHolder {
    const owner = this.owners.get(origin);
    if (owner) return owner.holder();
    if (this.sharedOwners) {
      this.owners = new Map(this.owners);
      this.sharedOwners = false;
    }
    this.owners.set(origin, this);
    return this.holder();
  }

  private holder(): JarHolder {
    if (!this.holderValue) this.holderValue = this.tree.newHolder(this.label);
    return this.holderValue;
  }
}

/** The session state of one exchange. */
export class ExchangeSessions {
  readonly root: SessionNode;
  private readonly holders: JarHolder[] = [];
  private branchCount = 0;

  constructor(
    readonly mode: SessionHandling,
    private readonly store: SessionStore,
    readonly exchangeId: string,
    private readonly flowHolder: JarHolder,
  ) {
    this.root = new SessionNode(this, '');
  }

  /** @internal */
  newHolder(label: string): JarHolder {
    const id = label === '' ? this.exchangeId : `${this.exchangeId}/${label}#${++this.branchCount}`;
    const holder = new JarHolder(this.store, { kind: 'exchange', id });
    this.holders.push(holder);
    return holder;
  }

  /**
   * The jar holder for a call to `origin` from `node`, or undefined when the call runs
   * without a session (mode `none`, receiver opted out, adapter without session reuse).
   */
  holderForCall(node: SessionNode, origin: string, sessionCapable: boolean): JarHolder | undefined {
    if (!sessionCapable || this.mode === 'none') return undefined;
    if (this.mode === 'onIntegrationFlow') return this.flowHolder;
    return node.holderFor(origin);
  }

  /** Holders of this exchange whose jar was created (root first, then branches in creation order). */
  createdHolders(): JarHolder[] {
    return this.holders.filter((h) => h.created);
  }

  releaseAll(): void {
    for (const h of this.holders) h.release();
  }
}
