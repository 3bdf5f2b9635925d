// A local OpenAI-compatible endpoint for tests: POST /v1/chat/completions as OpenAI documents it (messages,
// tools and tool_calls, response_format, streaming as server-sent events with a final usage chunk, error
// bodies), answered by a script. Token counts are real: the prompt and the answer are counted with the
// o200k tokenizer, so budgets and the token benchmark see what a real endpoint would report.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

export type ChatMessage = {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
};

export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: unknown } }>;
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
};

export type ChatReply =
  | { content: string }
  | { toolCalls: Array<{ name: string; arguments: unknown }> }
  | { status: number; message: string; type?: string };

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type OpenAIServer = {
  url: string;
  requests: ChatRequest[];
  /** The usage reported for each answered request, in order (errors report none). */
  usages: Usage[];
  /** Each request's header, to check the key is sent and nothing else is. */
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
};

export function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part) => part.text ?? '').join('');
}

export function countTokens(text: string): number {
  return encode(text).length;
}

/** Tokens of a request as OpenAI counts them, near enough: each message's text plus a few per message. */
function promptTokens(request: ChatRequest): number {
  let n = 3;
  for (const message of request.messages) {
    n += 4 + countTokens(textOf(message));
    for (const call of message.tool_calls ?? []) n += countTokens(call.function.name) + countTokens(call.function.arguments);
  }
  for (const tool of request.tools ?? []) n += countTokens(JSON.stringify(tool.function));
  if (request.response_format?.json_schema) n += countTokens(JSON.stringify(request.response_format.json_schema.schema));
  return n;
}

export async function startOpenAIServer(options: {
  respond: (request: ChatRequest) => ChatReply | Promise<ChatReply>;
  /** An endpoint without structured outputs (older vLLM, some gateways) refuses response_format json_schema. */
  structuredOutputs?: boolean;
  apiKey?: string;
  /** The address to listen on (loopback by default). */
  host?: string;
}): Promise<OpenAIServer> {
  const requests: ChatRequest[] = [];
  const usages: Usage[] = [];
  const authorizations: Array<string | undefined> = [];
  let nextId = 0;
  const server = http.createServer(async (req, res) => {
    const sendError = (status: number, message: string, type = 'invalid_request_error') => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
    };
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return sendError(404, `Unknown request URL: ${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization);
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return sendError(401, 'Incorrect API key provided.', 'authentication_error');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let request: ChatRequest;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return sendError(400, 'We could not parse the JSON body of your request.');
    }
    requests.push(request);
    if (options.structuredOutputs === false && request.response_format?.type === 'json_schema') {
      return sendError(400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.");
    }
    const reply = await options.respond(request);
    if ('status' in reply) return sendError(reply.status, reply.message, reply.type);

    const id = `chatcmpl-${++nextId}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls =
      'toolCalls' in reply
        ? reply.toolCalls.map((call, index) => ({ index, id: `call_${nextId}_${index}`, type: 'function' as const, function: { name: call.name, arguments: JSON.stringify(call.arguments) } }))
        : undefined;
    const content = 'content' in reply ? reply.content : null;
    const finishReason = toolCalls ? 'tool_calls' : 'stop';
    const completionTokens = countTokens(content ?? '') + (toolCalls ?? []).reduce((n, c) => n + countTokens(c.function.name) + countTokens(c.function.arguments), 0);
    const usage = { prompt_tokens: promptTokens(request), completion_tokens: completionTokens, total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    usages.push(usage);

    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: request.model,
          choices: [{ index: 0, message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls.map(({ index: _index, ...call }) => call) } : {}) }, finish_reason: finishReason, logprobs: null }],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const event = (choice: object | undefined, extra: object = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: choice ? [{ index: 0, logprobs: null, ...choice }] : [], ...extra })}\n\n`);
    event({ delta: { role: 'assistant', content: '' }, finish_reason: null });
    if (content) {
      // A few characters per chunk, as a real endpoint streams tokens.
      for (let i = 0; i < content.length; i += 7) event({ delta: { content: content.slice(i, i + 7) }, finish_reason: null });
    }
    for (const call of toolCalls ?? []) {
      event({ delta: { tool_calls: [{ index: call.index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, finish_reason: null });
      const args = call.function.arguments;
      for (let i = 0; i < args.length; i += 16) event({ delta: { tool_calls: [{ index: call.index, function: { arguments: args.slice(i, i + 16) } }] }, finish_reason: null });
    }
    event({ delta: {}, finish_reason: finishReason });
    if (request.stream_options?.include_usage) event(undefined, { usage });
    res.end('data: [DONE]\n\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/v1`,
    requests,
    usages,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
