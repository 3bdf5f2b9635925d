// The worker thread of src/redact-offload.ts: redacts one payload's JSON text at a time.
import { parentPort } from 'node:worker_threads';
import { redactDeep, registerSecret } from './redact.ts';

type Request = { id: number; json: string; secrets: string[] };

parentPort!.on('message', ({ id, json, secrets }: Request) => {
  try {
    for (const secret of secrets) registerSecret(secret);
    parentPort!.postMessage({ id, json: JSON.stringify(redactDeep(JSON.parse(json))) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
