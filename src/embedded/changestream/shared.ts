import { BSON, EJSON, type Document } from 'bson';
import type { Oplog } from '../oplog.js';
import type { EventOptions } from './events.js';
import { compileEventPipeline } from './pipeline.js';
import { withoutSplitStage } from './split.js';
import { boxLongs } from '../storage/int64.js';

/**
 * A change event as cursors hold it: the document, and its BSON once a reply needed it. One object is
 * shared by every cursor of the same shape (see EventShape), so it is never modified once made.
 */
export interface StreamEvent {
  readonly doc: Document;
  bytes?: Uint8Array;
}

/** The event's BSON, encoded the first time any cursor sends it and then copied by every other. */
export function eventBytes(event: StreamEvent): Uint8Array {
  return (event.bytes ??= BSON.serialize(boxLongs(event.doc), { ignoreUndefined: true }));
}

/**
 * Entries whose events a shared shape keeps, in a ring by oplog index: cursors up to this far behind the
 * newest reuse them (a power of two).
 */
const KEPT_ENTRIES = 1024;

interface Produced {
  index: number;
  events: readonly StreamEvent[];
  /** the oplog's end when produced: an updateLookup event holds the document as of then */
  end: number;
}

/**
 * What makes two streams see the same events: their options and their pipeline. Cursors of one shape
 * share the compiled pipeline and, while more than one is open, each entry's events (checked against
 * the pipeline once and encoded once, however many cursors return them).
 */
export class EventShape {
  readonly transform: (event: Document) => Document | undefined;
  /** The pipeline ends with $changeStreamSplitLargeEvent: events over 16 MiB come out as fragments. */
  readonly split: boolean;
  private refs = 0;
  private produced: Array<Produced | undefined> = [];
  /** an updateLookup event is shareable only while nothing was written after it was produced */
  private readonly lookup: boolean;

  constructor(readonly key: string, options: EventOptions, pipeline: Document[], private readonly registry: EventShapes) {
    this.transform = compileEventPipeline(pipeline);
    this.split = withoutSplitStage(pipeline).split;
    this.lookup = options.fullDocument === 'updateLookup';
  }

  /** The events of the entry at oplog index `index`, made by `produce` unless another cursor already did. */
  eventsAt(index: number, oplog: Oplog, produce: () => StreamEvent[]): readonly StreamEvent[] {
    if (this.refs < 2) return produce();
    const end = oplog.end;
    const slot = index & (KEPT_ENTRIES - 1);
    const hit = this.produced[slot];
    if (hit && hit.index === index && (!this.lookup || hit.end === end)) return hit.events;
    const events = produce();
    this.produced[slot] = { index, events, end };
    return events;
  }

  acquire(): this {
    this.refs++;
    return this;
  }

  /** One cursor of this shape closed; the last one takes the shape and its kept events with it. */
  release(): void {
    if (--this.refs > 0) return;
    this.produced = [];
    this.registry.forget(this);
  }
}

/** The shapes of one node's open change streams, by what makes them equal. */
export class EventShapes {
  private readonly shapes = new Map<string, EventShape>();

  acquire(options: EventOptions, pipeline: Document[]): EventShape {
    const key = EJSON.stringify(
      [options.scope, options.fullDocument, options.fullDocumentBeforeChange, options.showExpandedEvents, pipeline],
      { relaxed: false },
    );
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = new EventShape(key, options, pipeline, this); // compiling first: a bad pipeline registers nothing
      this.shapes.set(key, shape);
    }
    return shape.acquire();
  }

  forget(shape: EventShape): void {
    if (this.shapes.get(shape.key) === shape) this.shapes.delete(shape.key);
  }

  get size(): number {
    return this.shapes.size;
  }
}

const byOplog = new WeakMap<Oplog, EventShapes>();

/** The shapes of the streams over one oplog (one node). */
export function shapesOf(oplog: Oplog): EventShapes {
  let shapes = byOplog.get(oplog);
  if (!shapes) byOplog.set(oplog, (shapes = new EventShapes()));
  return shapes;
}
