// The benchmark's backend in its own process, so the code under test does not share its event
// loop (and core) with the server's password hashing and JSON work. Started by runner.bench.ts
// with fork(); sends { url } once listening and exits when its parent disconnects.
import { startTestBackend } from '@sessionflow/sdk/testing';

const loginCost = Number(process.argv[2] ?? '1');
const backend = await startTestBackend({ loginCost, csrfPaths: [] });
process.send?.({ url: backend.url });
process.on('disconnect', () => {
  void backend.close().then(() => process.exit(0));
});
