import type { Document } from 'bson';
import { isPlainObject as isDocument } from '../storage/document.js';
import { isInt64, markInt64 } from '../storage/int64.js';

/**
 * Simple reshaping stages compiled to plain object walks, for a change stream's pipeline: $project
 * (inclusion or exclusion of dotted paths, computed `'$path'`, `$ifNull` of paths and literals, literals),
 * $addFields/$set of such expressions, $unset. On the harness listeners' $project mingo's Aggregator costs
 * ~18 µs per event, this ~0.3 µs (bench/event-reshape.bench.ts). The values are mingo's (as sent: a
 * missing field is left out), the field order mongod's: an inclusion keeps the event's order, `_id`
 * first, computed fields after it in the stage's order; $addFields replaces in place, appends new ones.
 *
 * A stage this does not know compiles to undefined (the caller uses mingo for the whole pipeline). Where
 * an event's shape would need array or type semantics on a dotted path (an array, or a BSON value, in the
 * middle of a path; $addFields below a field that is not a document), the walk returns BAIL and the caller
 * runs mingo for that event. The input is never modified; the output shares the input's unchanged values.
 */
export const BAIL: unique symbol = Symbol('bail');
export type Reshape = (event: Document) => Document | typeof BAIL;

type Expr = { path: string[] } | { literal: unknown } | { ifNull: Expr[] };

const own = Object.prototype.hasOwnProperty;

const isScalarLiteral = (v: unknown) => v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && !v.startsWith('$'));

/** A field name this compiles: not an operator, not dotted (split already), and safe as a JS key. */
const plainName = (name: string) => name.length > 0 && !name.startsWith('$') && name !== '__proto__';

function splitPath(path: string): string[] | undefined {
  const parts = path.split('.');
  return parts.every(plainName) ? parts : undefined;
}

function compileExpr(spec: unknown): Expr | undefined {
  if (typeof spec === 'string' && spec.startsWith('$')) {
    if (spec.startsWith('$$')) return undefined; // variables: mingo's
    const path = splitPath(spec.slice(1));
    return path && { path };
  }
  if (isScalarLiteral(spec)) return { literal: spec };
  if (isDocument(spec) && Object.keys(spec).length === 1 && Array.isArray(spec.$ifNull) && spec.$ifNull.length >= 2) {
    const args = (spec.$ifNull as unknown[]).map(compileExpr);
    return args.every((a) => a !== undefined) ? { ifNull: args as Expr[] } : undefined;
  }
  return undefined;
}

/** Set by a path read: the value read was an int64 (a marked number), so its copy is marked too. */
let readInt64 = false;

function evaluate(expr: Expr, root: Document): unknown {
  if ('path' in expr) {
    readInt64 = false;
    const { path } = expr;
    let cur: Document = root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = own.call(cur, path[i]) ? cur[path[i]] : undefined;
      if (isDocument(next)) cur = next;
      else if (next === undefined || next === null || typeof next !== 'object') return undefined;
      else return BAIL; // arrays and BSON values: mingo's semantics
    }
    const key = path[path.length - 1];
    if (!own.call(cur, key)) return undefined;
    readInt64 = isInt64(cur, key);
    return cur[key];
  }
  if ('literal' in expr) {
    readInt64 = false;
    return expr.literal;
  }
  const args = expr.ifNull;
  for (let i = 0; i < args.length - 1; i++) {
    const v = evaluate(args[i], root);
    if (v !== undefined && v !== null) return v;
  }
  return evaluate(args[args.length - 1], root);
}

/** Sets `out[key]` to a computed value, carrying or clearing its int64 mark; a missing value removes the key. */
function assign(out: Document, key: string, value: unknown): void {
  if (value === undefined) delete out[key];
  else out[key] = value;
  if (readInt64 && value !== undefined) markInt64(out, key);
  else if (isInt64(out, key)) markInt64(out, key, false);
}

function copyField(out: Document, from: Document, key: string): void {
  out[key] = from[key];
  if (isInt64(from, key)) markInt64(out, key);
}

/** A stage's fields as a tree of dotted paths; undefined for a collision (`a` and `a.b`) or a bad name. */
interface Tree {
  leaves: Map<string, unknown>;
  children: Map<string, Tree>;
  /** leaf and child names in the stage's order */
  order: string[];
}

const newTree = (): Tree => ({ leaves: new Map(), children: new Map(), order: [] });

function addPath(tree: Tree, path: string[], value: unknown): boolean {
  let node = tree;
  for (let i = 0; i < path.length - 1; i++) {
    if (node.leaves.has(path[i])) return false;
    let child = node.children.get(path[i]);
    if (!child) {
      node.children.set(path[i], (child = newTree()));
      node.order.push(path[i]);
    }
    node = child;
  }
  const last = path[path.length - 1];
  if (node.leaves.has(last) || node.children.has(last)) return false;
  node.leaves.set(last, value);
  node.order.push(last);
  return true;
}

/** $project's spec, nested specs (`{a: {b: 1}}`) flattened into dotted paths. */
function projectTree(spec: Document, tree: Tree = newTree(), prefix: string[] = []): Tree | undefined {
  const keys = Object.keys(spec);
  if (keys.length === 0) return undefined;
  for (const key of keys) {
    const path = splitPath(key);
    if (!path) return undefined;
    const value = spec[key];
    if (isDocument(value) && Object.keys(value).length > 0 && !Object.keys(value)[0].startsWith('$')) {
      if (!projectTree(value, tree, [...prefix, ...path])) return undefined;
    } else if (!addPath(tree, [...prefix, ...path], value)) return undefined;
  }
  return tree;
}

const isFlag = (v: unknown) => v === 0 || v === 1 || v === true || v === false;
const included = (v: unknown) => v === 1 || v === true;

function everyLeaf(tree: Tree, test: (v: unknown) => boolean): boolean {
  for (const v of tree.leaves.values()) if (!test(v)) return false;
  for (const child of tree.children.values()) if (!everyLeaf(child, test)) return false;
  return true;
}

interface InclusionNode {
  projected: Set<string>;
  children: Map<string, InclusionNode>;
  computed: Map<string, Expr>;
  /** computed fields and children with computed fields below, in the stage's order */
  additions: string[];
  hasComputed: boolean;
}

function inclusionNode(tree: Tree): InclusionNode | undefined {
  const node: InclusionNode = { projected: new Set(), children: new Map(), computed: new Map(), additions: [], hasComputed: false };
  for (const key of tree.order) {
    const child = tree.children.get(key);
    if (child) {
      const sub = inclusionNode(child);
      if (!sub) return undefined;
      node.children.set(key, sub);
      if (sub.hasComputed) node.additions.push(key);
      node.hasComputed ||= sub.hasComputed;
      continue;
    }
    const value = tree.leaves.get(key);
    if (included(value)) node.projected.add(key);
    // an exclusion inside an inclusion, other numbers, null: mingo's (and its errors)
    else if (isFlag(value) || typeof value === 'number' || typeof value === 'boolean' || value === null) return undefined;
    else {
      const expr = compileExpr(value);
      if (!expr) return undefined;
      node.computed.set(key, expr);
      node.additions.push(key);
      node.hasComputed = true;
    }
  }
  return node;
}

function projectInto(node: InclusionNode, input: Document, out: Document): boolean {
  let left = node.projected.size + node.children.size;
  for (const key in input) {
    if (left === 0) break;
    if (node.projected.has(key)) {
      left--;
      if (input[key] !== undefined) copyField(out, input, key);
      continue;
    }
    const child = node.children.get(key);
    if (!child) continue;
    left--;
    const value = input[key];
    if (isDocument(value)) {
      const sub: Document = {};
      if (!projectInto(child, value, sub)) return false;
      out[key] = sub;
    } else if (Array.isArray(value) || (typeof value === 'object' && value !== null)) return false;
    // a scalar under an included path: left out
  }
  return true;
}

function addComputed(node: InclusionNode, root: Document, out: Document): boolean {
  for (const key of node.additions) {
    const expr = node.computed.get(key);
    if (expr) {
      const value = evaluate(expr, root);
      if (value === BAIL) return false;
      assign(out, key, value);
      continue;
    }
    const existing = out[key];
    if (Array.isArray(existing)) return false;
    // below a missing or scalar field, computed fields make a new document (mongod's {a: 1} + {'a.b': x})
    const sub: Document = isDocument(existing) ? existing : {};
    if (!addComputed(node.children.get(key)!, root, sub)) return false;
    out[key] = sub;
  }
  return true;
}

function compileInclusion(tree: Tree): Reshape | undefined {
  if (!tree.leaves.has('_id') && !tree.children.has('_id')) {
    tree.leaves.set('_id', 1);
    tree.order.unshift('_id');
  } else if (!isFlag(tree.leaves.get('_id'))) return undefined; // a computed or nested _id: mingo's
  const excludeId = tree.leaves.get('_id') === 0 || tree.leaves.get('_id') === false;
  if (excludeId) {
    tree.leaves.delete('_id');
    tree.order = tree.order.filter((k) => k !== '_id');
  }
  const root = inclusionNode(tree);
  if (!root) return undefined;
  return (event) => {
    const out: Document = {};
    if (!projectInto(root, event, out)) return BAIL;
    if (root.hasComputed && !addComputed(root, event, out)) return BAIL;
    return out;
  };
}

interface ExclusionNode {
  excluded: Set<string>;
  children: Map<string, ExclusionNode>;
}

function exclusionNode(tree: Tree): ExclusionNode {
  const children = new Map<string, ExclusionNode>();
  for (const [key, child] of tree.children) children.set(key, exclusionNode(child));
  return { excluded: new Set(tree.leaves.keys()), children };
}

function exclude(node: ExclusionNode, input: Document): Document | typeof BAIL {
  const out: Document = {};
  for (const key in input) {
    if (node.excluded.has(key)) continue;
    const child = node.children.get(key);
    const value = input[key];
    if (child && typeof value === 'object' && value !== null) {
      if (!isDocument(value)) return BAIL;
      const sub = exclude(child, value);
      if (sub === BAIL) return BAIL;
      out[key] = sub;
    } else if (value !== undefined) copyField(out, input, key);
  }
  return out;
}

function compileProject(spec: unknown): Reshape | undefined {
  if (!isDocument(spec)) return undefined;
  const tree = projectTree(spec);
  if (!tree) return undefined;
  const excluding = (v: unknown) => v === 0 || v === false;
  if (everyLeaf(tree, excluding)) {
    const root = exclusionNode(tree);
    return (event) => exclude(root, event);
  }
  return compileInclusion(tree);
}

function compileUnset(spec: unknown): Reshape | undefined {
  const fields = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string')) return undefined;
  const tree = newTree();
  for (const field of fields as string[]) {
    const path = splitPath(field);
    if (!path || !addPath(tree, path, 0)) return undefined;
  }
  const root = exclusionNode(tree);
  return (event) => exclude(root, event);
}

interface SetNode {
  computed: Map<string, Expr>;
  children: Map<string, SetNode>;
  order: string[];
}

function setNode(tree: Tree): SetNode | undefined {
  const node: SetNode = { computed: new Map(), children: new Map(), order: tree.order };
  for (const [key, value] of tree.leaves) {
    const expr = compileExpr(value);
    if (!expr) return undefined;
    node.computed.set(key, expr);
  }
  for (const [key, child] of tree.children) {
    const sub = setNode(child);
    if (!sub) return undefined;
    node.children.set(key, sub);
  }
  return node;
}

/** $addFields on a copy of `input`: a computed field replaces in place or is appended. */
function setFields(node: SetNode, root: Document, input: Document): Document | typeof BAIL {
  const out: Document = {};
  for (const key in input) if (input[key] !== undefined) copyField(out, input, key);
  for (const key of node.order) {
    const expr = node.computed.get(key);
    if (expr) {
      const value = evaluate(expr, root);
      if (value === BAIL) return BAIL;
      assign(out, key, value);
      continue;
    }
    const existing = out[key];
    if (!isDocument(existing)) return BAIL; // arrays, and mingo's $addFields below a scalar or missing field
    const sub = setFields(node.children.get(key)!, root, existing);
    if (sub === BAIL) return BAIL;
    out[key] = sub;
  }
  return out;
}

function compileSet(spec: unknown): Reshape | undefined {
  if (!isDocument(spec) || Object.keys(spec).length === 0) return undefined;
  const tree = newTree();
  for (const key of Object.keys(spec)) {
    const path = splitPath(key);
    if (!path || !addPath(tree, path, spec[key])) return undefined;
  }
  const root = setNode(tree);
  if (!root) return undefined;
  return (event) => setFields(root, event, event);
}

/** One reshaping stage compiled, or undefined when it is not one of the simple shapes (mingo runs it). */
export function compileReshapeStage(stage: Document): Reshape | undefined {
  const keys = Object.keys(stage);
  if (keys.length !== 1) return undefined;
  switch (keys[0]) {
    case '$project':
      return compileProject(stage.$project);
    case '$addFields':
    case '$set':
      return compileSet(stage[keys[0]]);
    case '$unset':
      return compileUnset(stage.$unset);
    default:
      return undefined;
  }
}
