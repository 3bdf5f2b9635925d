// The configured model: any OpenAI-compatible endpoint, spoken to through Chat Completions (the API that
// OpenAI, vLLM, Ollama and company gateways all serve).
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import type { LlmConfig } from '../config.ts';

export function createChatModel(config: LlmConfig): LanguageModel {
  const provider = createOpenAI({
    baseURL: config.baseUrl,
    // Endpoints without keys (a local Ollama) still get a header; the library refuses to send none.
    apiKey: config.apiKey ?? 'no-key',
    name: 'llm',
  });
  return provider.chat(config.model);
}
