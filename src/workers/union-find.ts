/**
 * Disjoint sets of the numbers 0 to size-1 (union-find with path halving and union by size): what
 * turns "a overlaps b" pairs into groups, so that a overlapping b and b overlapping c puts all
 * three in one group.
 *
 * @internal
 */
export class UnionFind {
  private readonly parent: number[];
  private readonly size: number[];

  constructor(size: number) {
    this.parent = Array.from({ length: size }, (_, i) => i);
    this.size = Array.from({ length: size }, () => 1);
  }

  /** The representative of the set holding `i`. */
  find(i: number): number {
    let node = i;
    for (let parent = this.at(this.parent, node); parent !== node; ) {
      const grandparent = this.at(this.parent, parent);
      this.parent[node] = grandparent;
      node = grandparent;
      parent = this.at(this.parent, node);
    }
    return node;
  }

  /** Merges the sets holding `a` and `b`. */
  union(a: number, b: number): void {
    let rootA = this.find(a);
    let rootB = this.find(b);
    if (rootA === rootB) return;
    if (this.at(this.size, rootA) < this.at(this.size, rootB)) [rootA, rootB] = [rootB, rootA];
    this.parent[rootB] = rootA;
    this.size[rootA] = this.at(this.size, rootA) + this.at(this.size, rootB);
  }

  /** The sets, each in increasing order, in the order of their smallest member. */
  sets(): number[][] {
    const byRoot = new Map<number, number[]>();
    for (let i = 0; i < this.parent.length; i++) {
      const root = this.find(i);
      const members = byRoot.get(root);
      if (members) members.push(i);
      else byRoot.set(root, [i]);
    }
    return [...byRoot.values()];
  }

  private at(values: readonly number[], i: number): number {
    const value = values[i];
    if (value === undefined) throw new RangeError(`${i} is not in this UnionFind`);
    return value;
  }
}
