// The child that renders with a repository's own template packs, inside the sandbox (see
// repository-packs.ts): the spec, the repo config and the packs' folder on standard input, the files (or why
// not) as JSON on standard output.
import { renderPipeline, RenderError } from './render.ts';
import type { ChildAnswer } from './repository-packs.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
let answer: ChildAnswer;
try {
  answer = { files: renderPipeline(request.spec, request.config, { today: request.today, repoPacksDir: request.repoPacksDir }).files };
} catch (err) {
  answer =
    err instanceof RenderError
      ? { renderError: { pack: err.pack, field: err.field, problem: err.problem, params: err.params } }
      : { failure: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
process.stdout.write(JSON.stringify(answer));
