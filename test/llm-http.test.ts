// The real @ai-sdk/openai client against the local OpenAI-compatible endpoint: plain and streamed answers,
// streamed tool calls, and the errors a job sees.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { streamText, tool } from 'ai';
import { z } from 'zod';
import { TransientError } from '../src/errors.ts';
import { Llm, noUsage } from '../src/llm/llm.ts';
import { createChatModel } from '../src/llm/model.ts';
import { startOpenAIServer, textOf, type ChatReply, type ChatRequest, type OpenAIServer } from './support/openai-server.ts';

describe('an OpenAI-compatible endpoint over HTTP', () => {
  let server: OpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const model = (s: OpenAIServer, apiKey = 'sk-local-test') => createChatModel({ baseUrl: s.url, apiKey, model: 'local-model', tokensPerJob: 10_000, tokensPerIssue: 100_000, toolSteps: 3 });

  test('a streamed answer arrives whole, with the usage the endpoint reports', async () => {
    server = await startOpenAIServer({ respond: () => ({ content: 'A snapshot is a full copy per run.' }) });
    const result = streamText({ model: model(server), prompt: 'What is a snapshot?' });
    let text = '';
    for await (const chunk of result.textStream) text += chunk;
    assert.equal(text, 'A snapshot is a full copy per run.');
    assert.equal(server.requests[0]!.stream, true);
    const usage = await result.usage;
    assert.ok((usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0);
  });

  test('streamed tool calls are run and their result goes back to the model', async () => {
    const respond = (r: ChatRequest): ChatReply => {
      const result = r.messages.find((m) => m.role === 'tool');
      return result ? { content: `The table has ${textOf(result)} rows.` } : { toolCalls: [{ name: 'row_count', arguments: { table: 'public.customers' } }] };
    };
    server = await startOpenAIServer({ respond });
    const seen: string[] = [];
    const result = streamText({
      model: model(server),
      prompt: 'How many rows?',
      tools: { row_count: tool({ description: 'rows of a table', inputSchema: z.object({ table: z.string() }), execute: async ({ table }) => (seen.push(table), 1234) }) },
      stopWhen: (await import('ai')).isStepCount(3),
    });
    let text = '';
    for await (const chunk of result.textStream) text += chunk;
    assert.deepEqual(seen, ['public.customers']);
    assert.equal(text, 'The table has 1234 rows.');
    assert.equal(server.requests.length, 2);
  });

  test('an endpoint that fails (500) makes the job worth retrying later; a wrong key does not', async () => {
    server = await startOpenAIServer({ respond: () => ({ status: 500, message: 'The server had an error', type: 'server_error' }) });
    const session = new Llm(model(server), 'local-model', { tokensPerJob: 10_000, tokensPerIssue: 100_000, toolSteps: 3 }).session(noUsage());
    await assert.rejects(session.text({ instructions: 'x', prompt: 'y' }), (err: Error) => err instanceof TransientError);
    assert.equal(server.requests.length, 3, 'the client retried twice before giving up');
    await server.close();

    server = await startOpenAIServer({ respond: () => ({ content: 'x' }), apiKey: 'sk-the-right-one' });
    const wrong = new Llm(model(server, 'sk-a-wrong-one'), 'local-model', { tokensPerJob: 10_000, tokensPerIssue: 100_000, toolSteps: 3 }).session(noUsage());
    await assert.rejects(wrong.text({ instructions: 'x', prompt: 'y' }), (err: Error) => !(err instanceof TransientError) && /Incorrect API key/.test(err.message) && !err.message.includes('sk-a-wrong-one'));
  });
});
