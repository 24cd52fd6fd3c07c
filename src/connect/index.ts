export { DEFAULT_URI, addressOf, redactSecrets, redactUri, resolveUri, userOf } from './uri.js';
export { connectionErrorMessage, oneLine, toConnectionUserError } from './errors.js';
export { openClient, type OpenClientOptions } from './client.js';
export { describeTarget, requireChangeStreams, topologyOf, type Target, type TopologyKind } from './topology.js';
export { collectionState, requireLoaded, type CollectionState } from './collection.js';
