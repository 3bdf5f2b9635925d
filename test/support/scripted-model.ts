// A scripted language model for unit tests (the `ai` package's mock model): it answers each call with what
// the script returns for the call's prompt, and reports token usage counted with a real tokenizer.
import { MockLanguageModelV4 } from 'ai/test';
import { countTokens } from './openai-server.ts';

export type ModelCall = { instructions: string; prompt: string; jsonSchema: unknown; tools: string[] };
export type ScriptedAnswer = string | { toolCall: { name: string; input: unknown } };

type PromptMessage = { role: string; content: string | Array<{ type: string; text?: string; output?: unknown }> };

function textOf(message: PromptMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text ?? (part.output !== undefined ? JSON.stringify(part.output) : '')).join('');
}

export function scriptedModel(script: (call: ModelCall, index: number) => ScriptedAnswer) {
  const calls: ModelCall[] = [];
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => {
      const messages = options.prompt as unknown as PromptMessage[];
      const call: ModelCall = {
        instructions: messages.filter((m) => m.role === 'system').map(textOf).join('\n'),
        prompt: messages.filter((m) => m.role !== 'system').map(textOf).join('\n'),
        jsonSchema: (options.responseFormat as { schema?: unknown } | undefined)?.schema,
        tools: (options.tools ?? []).map((t) => t.name),
      };
      calls.push(call);
      const answer = script(call, calls.length - 1);
      const input = countTokens(call.instructions + call.prompt);
      if (typeof answer !== 'string') {
        return {
          content: [{ type: 'tool-call', toolCallId: `call-${calls.length}`, toolName: answer.toolCall.name, input: JSON.stringify(answer.toolCall.input) }],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage: { inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 10, text: 10, reasoning: undefined } },
          warnings: [],
        };
      }
      const output = countTokens(answer);
      return {
        content: [{ type: 'text', text: answer }],
        finishReason: { unified: 'stop', raw: undefined },
        usage: { inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: output, text: output, reasoning: undefined } },
        warnings: [],
      };
    },
  });
  return { model, calls };
}
