import { startEmbeddedServer } from './dist/src/embedded/index.js';
const s = await startEmbeddedServer({ port: 27999 });
console.log(s.uri);
setTimeout(() => s.stop(), 600_000);
