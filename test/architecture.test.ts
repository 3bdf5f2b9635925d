// The layers of the code, read from the imports of every file: the pure core imports no framework, adapter or
// store; no layer imports one above it; handlers/ only registers handlers; no source file grows past 400 lines.
// The README's "Architecture" section draws the same layers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { filesUnder, repoRoot } from './support/harness.ts';

/** Lowest first. A file belongs to the first entry whose prefix its path starts with. */
const LAYERS: Array<{ name: string; rank: number; prefixes: string[] }> = [
  {
    name: 'shared leaves',
    rank: 0,
    prefixes: [
      'src/errors.ts', 'src/redact.ts', 'src/redact-offload.ts', 'src/redact-worker.ts', 'src/secret-scan.ts', 'src/log.ts',
      'src/metrics.ts', 'src/keyed-queue.ts', 'src/child-rpc.ts', 'src/process-alive.ts', 'src/markdown.ts', 'src/closest-name.ts',
      'src/i18n/', 'src/sandbox/',
    ],
  },
  { name: 'pure core', rank: 1, prefixes: ['src/pipeline-spec/', 'src/render/', 'src/validate/'] },
  { name: 'adapters', rank: 2, prefixes: ['src/gitlab/', 'src/git/', 'src/store/', 'src/sources/', 'src/airflow/', 'src/net/', 'src/llm/', 'src/mcp/', 'src/config.ts'] },
  { name: 'queue and publishing', rank: 3, prefixes: ['src/queue/', 'src/publish/'] },
  { name: 'event framework', rank: 4, prefixes: ['src/bot/'] },
  { name: 'conversation', rank: 5, prefixes: ['src/conversation/'] },
  { name: 'handlers', rank: 6, prefixes: ['handlers/'] },
  { name: 'entry points', rank: 7, prefixes: ['src/app.ts', 'src/server.ts', 'src/main.ts', 'src/cli/', 'src/gitlab-standin/'] },
];

/** What the pure core must never reach, whatever the path: the web framework, GitLab, databases, the model, MCP. */
const NOT_FOR_THE_CORE = [
  'hono', '@hono/', '@gitbeaker/', 'better-sqlite3', 'pg', 'mysql2', 'ai', '@ai-sdk/', '@modelcontextprotocol/', 'pino',
  'prom-client', 'p-retry', 'node:http', 'node:https', 'node:net',
];

const MAX_LINES = 400;
/** The stand-in's table of GitLab's REST routes reads best as one file. */
const LONG_ALLOWED = new Set(['src/gitlab-standin/api.ts']);

const sourceFiles = ['src', 'handlers']
  .flatMap((dir) => filesUnder(path.join(repoRoot, dir)))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.relative(repoRoot, f).split(path.sep).join('/'));

function layerOf(file: string) {
  return LAYERS.find((l) => l.prefixes.some((p) => file === p || (p.endsWith('/') && file.startsWith(p))));
}

/** Every module a file imports (static, dynamic and type-only), as written. */
function importsOf(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g)) found.add(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.add(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.add(m[1]!);
  return [...found];
}

function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
}

/** The import problems of the code base, one line each. */
export function layeringProblems(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    const layer = layerOf(file);
    if (!layer) {
      problems.push(`${file}: belongs to no layer (place it in test/architecture.test.ts and the README's picture)`);
      continue;
    }
    for (const specifier of importsOf(text)) {
      const target = resolve(file, specifier);
      if (target === undefined) {
        if (layer.rank === 1 && NOT_FOR_THE_CORE.some((p) => specifier === p || (p.endsWith('/') ? specifier.startsWith(p) : specifier.startsWith(`${p}/`))))
          problems.push(`${file}: the pure core imports ${specifier}`);
        continue;
      }
      if (!target.endsWith('.ts')) continue;
      const targetLayer = layerOf(target);
      if (!targetLayer) continue;
      if (targetLayer.rank > layer.rank) problems.push(`${file} (${layer.name}) imports ${target} (${targetLayer.name}), a higher layer`);
    }
  }
  return problems;
}

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

describe('architecture', () => {
  test('no file imports from a layer above its own, and the pure core reaches no framework, GitLab, store, model or MCP', () => {
    const files = new Map(sourceFiles.map((f) => [f, read(f)]));
    assert.deepEqual(layeringProblems(files), []);
  });

  test('the rule catches what it is meant to catch', () => {
    const planted = new Map([
      ['src/pipeline-spec/planted.ts', "import { Store } from '../store/store.ts';\nimport { Hono } from 'hono';\n"],
      ['src/gitlab/planted.ts', "import type { Context } from '../bot/context.ts';\n"],
      ['src/render/planted.ts', "const later = await import('../llm/llm.ts');\n"],
      ['src/somewhere/planted.ts', ''],
    ]);
    assert.deepEqual(layeringProblems(planted), [
      'src/pipeline-spec/planted.ts (pure core) imports src/store/store.ts (adapters), a higher layer',
      'src/pipeline-spec/planted.ts: the pure core imports hono',
      'src/gitlab/planted.ts (adapters) imports src/bot/context.ts (event framework), a higher layer',
      'src/render/planted.ts (pure core) imports src/llm/llm.ts (adapters), a higher layer',
      "src/somewhere/planted.ts: belongs to no layer (place it in test/architecture.test.ts and the README's picture)",
    ]);
  });

  test('handlers/ holds only files that register handlers', () => {
    const handlerFiles = sourceFiles.filter((f) => f.startsWith('handlers/'));
    const strays = handlerFiles.filter((f) => {
      const text = read(f);
      const exported = [...text.matchAll(/^export\s+(?:async\s+)?(?:function|const|class|type)\s+(\w+)/gm)].map((m) => m[1]!);
      return exported.length === 0 || exported.some((name) => !/^register[A-Z]\w*$/.test(name));
    });
    assert.deepEqual(strays, []);
  });

  test(`no source file is longer than ${MAX_LINES} lines, but the stand-in's route table`, () => {
    const long = sourceFiles
      .filter((f) => !LONG_ALLOWED.has(f))
      .map((f) => ({ file: f, lines: read(f).split('\n').length }))
      .filter((f) => f.lines > MAX_LINES);
    assert.deepEqual(long, []);
  });
});
