import {
  Kind,
  createSourceEventStream,
  execute,
  getNamedType,
  isObjectType,
  getOperationAST,
  isLeafType,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type SelectionSetNode,
} from 'graphql';
import type { SharedLoaders } from '../graphql/context.js';
import { EVENTS_AS_APPENDED, SAME_FOR_EVERY_VIEWER, SAME_FOR_EVERY_VIEWER_AS_APPENDED, SAME_FOR_EVERY_VIEWER_WHEN_NULL } from '../graphql/event-fields.js';
import { isPromiseLike } from '../lib/promises.js';

/**
 * graphql-ws' `subscribe` (graphql-js' own, plus two things). It renders each
 * event once per distinct operation rather than once per subscriber, when that
 * cannot change what anyone sees; and it keeps no DataLoaders between events.
 *
 * Who receives an event is still decided per subscription (its own source
 * stream: the viewer's topic, the membership guard). Only the rendering is
 * shared: for an operation that selects nothing but fields the same for every
 * viewer (graphql/event-fields.ts: plain payload fields, a message's sender and
 * the sender's name, a new message's status and reactions, a reply when there
 * is none), the result of the first subscriber to render an event is reused by
 * everyone else who renders the same payload object with the same document,
 * operation and variables. A message into a group of 100 is executed once, not
 * 100 times. An operation that must be rendered per subscriber (a reply, what a
 * user's privacy settings show) still reads the database once per event:
 * everyone rendering one payload object uses the same loaders, so their reads
 * batch together.
 */
export function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const share = shareOf(args);
  return (async () => {
    const stream = await createSourceEventStream(args);
    // A subscription's context lives as long as it does: caches filled while
    // subscribing (and while rendering an event) are dropped, not kept per socket,
    // and the response budget (MAX_RESPONSE_NODES) is refilled: it counts per event.
    dropLoaders(args.contextValue);
    if (!isAsyncIterable(stream)) return stream; // errors of the subscribe step
    return new MappedIterator(stream, (payload) => {
      useEventLoaders(args.contextValue, payload);
      const result = share === null || !holdsFor(share.plan, payload) ? execute({ ...args, rootValue: payload }) : renderOnce(payload, share.key, args);
      if (!isPromiseLike(result)) {
        dropLoaders(args.contextValue);
        return result;
      }
      return result.then((settled) => {
        dropLoaders(args.contextValue);
        return settled;
      });
    });
  })();
}

type Renewable = { renewLoaders?: (shared?: SharedLoaders) => void } | undefined;

function dropLoaders(context: unknown): void {
  (context as Renewable)?.renewLoaders?.();
}

/** The loaders of each payload object, shared by all who render it (see SharedLoaders). */
const eventLoaders = new WeakMap<object, SharedLoaders>();

function useEventLoaders(context: unknown, payload: unknown): void {
  if (typeof payload !== 'object' || payload === null) return;
  let shared = eventLoaders.get(payload);
  if (!shared) eventLoaders.set(payload, (shared = {}));
  (context as Renewable)?.renewLoaders?.(shared);
}

/** Renders per payload object: an entry lives as long as the payload does. */
const rendered = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();

function renderOnce(payload: unknown, shareKey: string, args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> {
  if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
  let byKey = rendered.get(payload);
  if (!byKey) rendered.set(payload, (byKey = new Map()));
  let result = byKey.get(shareKey);
  if (!result) {
    result = execute({ ...args, rootValue: payload });
    byKey.set(shareKey, result);
  }
  return result;
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/** What may be shared: the payload properties that must be null for it (see SameForEveryViewerWhenNull). */
interface SharePlan {
  readonly nullProperties: readonly string[];
}

/** Per document and operation name: whether, and when, its events may be rendered once for everyone. */
const shareable = new WeakMap<DocumentNode, Map<string, SharePlan | null>>();

/** Held by every subscription for its life: two references, no closure. */
interface Share {
  readonly key: string;
  readonly plan: SharePlan;
}

/** Whether this payload lets the plan's event be rendered once (its null properties are null). */
function holdsFor({ nullProperties }: SharePlan, payload: unknown): boolean {
  if (nullProperties.length === 0) return true;
  if (typeof payload !== 'object' || payload === null) return false;
  return nullProperties.every((property) => (payload as Record<string, unknown>)[property] === null);
}

function shareOf(args: ExecutionArgs): Share | null {
  const { document, operationName } = args;
  let byName = shareable.get(document);
  if (!byName) shareable.set(document, (byName = new Map()));
  let plan = byName.get(operationName ?? '');
  if (plan === undefined) {
    plan = sharePlanOf(args);
    byName.set(operationName ?? '', plan);
  }
  if (plan === null) return null;
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = nextDocumentId++));
  return { key: `${id}:${operationName ?? ''}:${JSON.stringify(args.variableValues ?? {})}`, plan };
}

function sharePlanOf({ schema, document, operationName }: ExecutionArgs): SharePlan | null {
  const operation = getOperationAST(document, operationName);
  const root = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootFields = [...fieldsOf(operation.selectionSet, fragments)];
  if (rootFields.length !== 1) return null;
  const [rootField] = rootFields;
  const field = root.getFields()[rootField!.name.value];
  if (!field || !rootField!.selectionSet) return null;
  const eventType = getNamedType(field.type);
  if (!isObjectType(eventType)) return null;
  const nullProperties: string[] = [];
  const shared = selectsOnlyShared(eventType, rootField!.selectionSet, fragments, {
    asAppended: field.extensions?.[EVENTS_AS_APPENDED] === true,
    nullProperties,
  });
  return shared ? { nullProperties } : null;
}

/**
 * Whether every field selected from `type` is the same for every viewer. Which
 * are is declared by the module that owns the type (graphql/event-fields.ts).
 * `root` is given for the event type itself, where a field may also be shared
 * as appended or when a payload property is null; nested types only by
 * SameForEveryViewer.
 */
function selectsOnlyShared(
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  root?: { asAppended: boolean; nullProperties: string[] },
): boolean {
  for (const selected of fieldsOf(selectionSet, fragments)) {
    const name = selected.name.value;
    if (name === '__typename') continue;
    const field = type.getFields()[name];
    if (!field) return false;
    const extensions = field.extensions ?? {};
    if (root?.asAppended && extensions[SAME_FOR_EVERY_VIEWER_AS_APPENDED] === true) continue;
    const whenNull = extensions[SAME_FOR_EVERY_VIEWER_WHEN_NULL];
    if (root && typeof whenNull === 'string') {
      root.nullProperties.push(whenNull);
      continue;
    }
    if (extensions[SAME_FOR_EVERY_VIEWER] !== true) return false;
    const fieldType = getNamedType(field.type);
    if (isLeafType(fieldType)) continue;
    if (!isObjectType(fieldType) || !selected.selectionSet || !selectsOnlyShared(fieldType, selected.selectionSet, fragments)) return false;
  }
  return true;
}

/** The fields of a selection set, through fragments and inline fragments. */
function* fieldsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): Generator<FieldNode> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* fieldsOf(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) yield* fieldsOf(fragment.selectionSet, fragments, seen);
    }
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * As graphql-js maps a source stream to results: return and throw reach the
 * source. A class with promise chains, not closures and async functions: an
 * idle subscription holds one small object and one pending promise. An event
 * rendered already (a group's message, for every member after the first) is
 * mapped without a promise of its own.
 */
class MappedIterator<T, U> implements AsyncIterableIterator<U> {
  readonly #source: AsyncIterator<T>;
  readonly #onResult = (result: IteratorResult<T>) => this.#mapResult(result);

  constructor(
    source: AsyncIterable<T>,
    private readonly map: (value: T) => U | Promise<U>,
  ) {
    this.#source = source[Symbol.asyncIterator]();
  }

  next(): Promise<IteratorResult<U>> {
    return this.#source.next().then(this.#onResult);
  }

  async return(): Promise<IteratorResult<U>> {
    await this.#source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<U>> {
    if (this.#source.throw) return this.#mapResult(await this.#source.throw(error));
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #mapResult(result: IteratorResult<T>): Promise<IteratorResult<U>> | IteratorResult<U> {
    if (result.done) return { value: undefined, done: true };
    let mapped: U | Promise<U>;
    try {
      mapped = this.map(result.value);
    } catch (error) {
      return this.#failed(error);
    }
    if (!isPromiseLike(mapped)) return { value: mapped, done: false };
    return mapped.then(
      (value) => ({ value, done: false }),
      (error: unknown) => this.#failed(error),
    );
  }

  #failed(error: unknown): Promise<never> {
    return this.return().then(
      () => Promise.reject(error),
      () => Promise.reject(error),
    );
  }
}
