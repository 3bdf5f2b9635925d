// Calls to the model, one job at a time: every prompt redacted, every answer checked against a schema
// (asked for again once with the errors), tokens counted against the job's and the issue's budgets, and
// a JSON fallback for endpoints that do not take structured outputs. The model only ever returns data; what
// is done with it is decided by the caller.
import { APICallError, generateText, isStepCount, jsonSchema, NoObjectGeneratedError, NoOutputGeneratedError, Output, type LanguageModel, type ToolSet } from 'ai';
import type { z } from 'zod';
import { z as zod } from 'zod';
import { TransientError } from '../errors.ts';
import { redact, redactDeep } from '../redact.ts';

export type Usage = { input: number; output: number };
export const noUsage = (): Usage => ({ input: 0, output: 0 });

export type LlmLimits = { tokensPerJob: number; tokensPerIssue: number; toolSteps: number };

export class BudgetExceeded extends Error {
  readonly scope: 'job' | 'issue';
  constructor(scope: 'job' | 'issue', limit: number) {
    super(`the model's token budget for this ${scope} (${limit}) is spent`);
    this.name = 'BudgetExceeded';
    this.scope = scope;
  }
}

/** The model answered twice with something that does not fit what was asked. */
export class ModelOutputInvalid extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`the model's answer could not be used: ${problems.join('; ')}`);
    this.name = 'ModelOutputInvalid';
    this.problems = problems;
  }
}

export type ObjectTask<T> = {
  instructions: string;
  prompt: string;
  schema: z.ZodType<T>;
  /** Problems with a well-formed answer (a value the spec refuses…); non-empty means: ask again once. */
  check?: (value: T) => string[];
  tools?: ToolSet;
};

type Mode = 'structured' | 'json';

/** The configured model and what has been learnt about its endpoint. */
export class Llm {
  readonly model: LanguageModel;
  readonly modelName: string;
  readonly limits: LlmLimits;
  /** Set when the endpoint refused structured outputs: from then on, JSON asked for in words. */
  private mode: Mode = 'structured';

  constructor(model: LanguageModel, modelName: string, limits: LlmLimits) {
    this.model = model;
    this.modelName = modelName;
    this.limits = limits;
  }

  /**
   * One job's use of the model; `issueUsage` is what the issue has spent before, `onSpend` hears of every
   * call's tokens as they are counted (so they are kept even if the job stops half-way).
   */
  session(issueUsage: Usage, onSpend?: (spent: Usage) => void | Promise<void>): ModelSession {
    return new ModelSession(this, issueUsage, onSpend);
  }

  get jsonMode(): boolean {
    return this.mode === 'json';
  }

  useJsonMode(): void {
    this.mode = 'json';
  }
}

export class ModelSession {
  readonly usage: Usage = noUsage();
  private toolStepsUsed = 0;
  private readonly llm: Llm;
  private readonly issueUsage: Usage;
  private readonly onSpend: ((spent: Usage) => void | Promise<void>) | undefined;

  constructor(llm: Llm, issueUsage: Usage, onSpend?: (spent: Usage) => void | Promise<void>) {
    this.llm = llm;
    this.issueUsage = issueUsage;
    this.onSpend = onSpend;
  }

  get modelName(): string {
    return this.llm.modelName;
  }

  private checkBudget(): void {
    const { tokensPerJob, tokensPerIssue } = this.llm.limits;
    const job = this.usage.input + this.usage.output;
    if (job >= tokensPerJob) throw new BudgetExceeded('job', tokensPerJob);
    if (job + this.issueUsage.input + this.issueUsage.output >= tokensPerIssue) throw new BudgetExceeded('issue', tokensPerIssue);
  }

  private async count(usage: { inputTokens: number | undefined; outputTokens: number | undefined } | undefined): Promise<void> {
    const spent = { input: usage?.inputTokens ?? 0, output: usage?.outputTokens ?? 0 };
    this.usage.input += spent.input;
    this.usage.output += spent.output;
    if (spent.input || spent.output) await this.onSpend?.(spent);
  }

  /** Read-only tools whose results are redacted before the model sees them, within the job's step budget. */
  private guard(tools: ToolSet | undefined): { tools?: ToolSet; stopWhen?: ReturnType<typeof isStepCount> } {
    if (!tools || !Object.keys(tools).length) return {};
    const left = this.llm.limits.toolSteps - this.toolStepsUsed;
    if (left <= 0) return {};
    const guarded: ToolSet = {};
    for (const [name, definition] of Object.entries(tools)) {
      const execute = definition.execute;
      guarded[name] = {
        ...definition,
        execute: execute
          ? async (input: unknown, options: unknown) => {
              this.toolStepsUsed++;
              return redactDeep(await (execute as (i: unknown, o: unknown) => Promise<unknown>)(input, options));
            }
          : undefined,
      } as ToolSet[string];
    }
    // Each step may run tools; once `left` steps are taken the request ends, and an answer still missing
    // is asked for again without tools (see `attempt`).
    return { tools: guarded, stopWhen: isStepCount(left) };
  }

  /** A plain-text answer (a reply to a question). */
  async text(task: { instructions: string; prompt: string; tools?: ToolSet }): Promise<string> {
    this.checkBudget();
    const result = await this.call(() =>
      generateText({ model: this.llm.model, instructions: redact(task.instructions), prompt: redact(task.prompt), ...this.guard(task.tools), maxRetries: 2 }),
    );
    await this.count(result.totalUsage);
    return result.text;
  }

  /** An answer that fits `schema` (and `check`), asked for again once with what was wrong. */
  async object<T>(task: ObjectTask<T>): Promise<T> {
    let prompt = task.prompt;
    let problems: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      this.checkBudget();
      const answer = await this.attempt(task, prompt);
      if (answer.ok) {
        problems = task.check?.(answer.value) ?? [];
        if (!problems.length) return answer.value;
      } else {
        problems = answer.problems;
      }
      prompt = `${task.prompt}\n\nYour previous answer could not be used:\n${problems.map((p) => `- ${p}`).join('\n')}\nAnswer again, correcting these.`;
    }
    throw new ModelOutputInvalid(problems);
  }

  private async attempt<T>(task: ObjectTask<T>, prompt: string): Promise<{ ok: true; value: T } | { ok: false; problems: string[] }> {
    const instructions = redact(task.instructions);
    if (!this.llm.jsonMode) {
      try {
        const result = await this.call(() =>
          generateText({
            model: this.llm.model,
            instructions,
            prompt: redact(prompt),
            output: Output.object({ schema: task.schema }),
            ...this.guard(task.tools),
            maxRetries: 2,
            providerOptions: { openai: { strictJsonSchema: false } },
          }),
        );
        await this.count(result.totalUsage);
        return { ok: true, value: result.output };
      } catch (err) {
        if (NoObjectGeneratedError.isInstance(err)) {
          await this.count(err.usage);
          return { ok: false, problems: [describeOutputError(err)] };
        }
        if (NoOutputGeneratedError.isInstance(err)) return { ok: false, problems: [NO_ANSWER] };
        if (!refusesStructuredOutput(err)) throw err;
        this.llm.useJsonMode();
      }
    }
    // JSON mode: the schema goes into the instructions and the answer is checked here.
    const schemaText = JSON.stringify(zod.toJSONSchema(task.schema as z.ZodType, { io: 'input' }));
    const result = await this.call(() =>
      generateText({
        model: this.llm.model,
        instructions: `${instructions}\n\nAnswer with one JSON object, and nothing else, that matches this JSON Schema:\n${schemaText}`,
        prompt: redact(prompt),
        output: Output.json(),
        ...this.guard(task.tools),
        maxRetries: 2,
      }),
    ).catch(async (err: unknown) => {
      if (NoObjectGeneratedError.isInstance(err)) {
        await this.count(err.usage);
        return { problem: describeOutputError(err) };
      }
      if (NoOutputGeneratedError.isInstance(err)) return { problem: NO_ANSWER };
      throw err;
    });
    if ('problem' in result) return { ok: false, problems: [result.problem] };
    await this.count(result.totalUsage);
    const parsed = task.schema.safeParse(result.output);
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'the answer'}: ${i.message}`) };
  }

  /** An endpoint that is down or overloaded is worth another try later; anything else is a failure. */
  private async call<R>(request: () => Promise<R>): Promise<R> {
    try {
      return await request();
    } catch (err) {
      if (APICallError.isInstance(err) && err.isRetryable) throw new TransientError(`the model's endpoint did not answer: ${redact(err.message)}`, { cause: err });
      const last = (err as { lastError?: unknown }).lastError;
      if (APICallError.isInstance(last) && last.isRetryable) throw new TransientError(`the model's endpoint did not answer: ${redact(last.message)}`, { cause: err });
      throw err;
    }
  }
}

const NO_ANSWER = 'no answer was given before the tool steps ran out: answer now, with what you have';

function describeOutputError(err: NoObjectGeneratedError): string {
  const cause = err.cause as { message?: string } | undefined;
  return `the answer was not the JSON asked for (${redact(cause?.message ?? err.message).split('\n')[0]})`;
}

/** A 400 that says the endpoint does not do `response_format: json_schema`. */
function refusesStructuredOutput(err: unknown): boolean {
  if (!APICallError.isInstance(err) || err.statusCode !== 400) return false;
  return /response_format|json_schema|structured output|guided/i.test(`${err.message} ${err.responseBody ?? ''}`);
}

/** A JSON schema for tools' inputs, from zod. */
export function toolInput<T>(schema: z.ZodType<T>) {
  return jsonSchema<T>(zod.toJSONSchema(schema as z.ZodType) as Parameters<typeof jsonSchema>[0], {
    validate: (value) => {
      const parsed = schema.safeParse(value);
      return parsed.success ? { success: true, value: parsed.data } : { success: false, error: parsed.error };
    },
  });
}
