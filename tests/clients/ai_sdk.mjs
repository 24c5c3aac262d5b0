// The Vercel AI SDK (ai 7 with @ai-sdk/anthropic 4) against mockgw: `node ai_sdk.mjs CASE` prints one JSON
// object, which tests/clients/test_ai_sdk.py checks. The provider's baseURL is the API prefix, `/v1`
// included (its default is https://api.anthropic.com/v1); it sends the key as x-api-key.
import { createAnthropic } from '@ai-sdk/anthropic';
import { APICallError, generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';

const anthropic = createAnthropic({
  baseURL: `${process.env.ANTHROPIC_BASE_URL}/v1`,
  apiKey: process.env.ANTHROPIC_AUTH_TOKEN,
});
const model = anthropic('claude-sonnet-4-6');

const weather = tool({
  description: 'The current weather in a city.',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `18°C and sunny in ${city}`,
});

const WEATHER = z.object({ city: z.string(), temperature_c: z.number(), conditions: z.array(z.string()) });

const cases = {
  async object() {
    // Structured output: for a model with native structured outputs the provider sends the zod schema as
    // output_config.format and validates the answer's JSON text against it.
    const result = await generateObject({ model, schema: WEATHER, prompt: 'The weather in Paris as JSON', maxRetries: 0 });
    return { object: result.object, finishReason: result.finishReason };
  },

  async generate() {
    const result = await generateText({ model, prompt: 'hello', maxRetries: 0 });
    return { text: result.text, finishReason: result.finishReason, usage: result.usage };
  },

  async stream() {
    const result = streamText({ model, prompt: 'hello', maxRetries: 0 });
    const chunks = [];
    for await (const chunk of result.textStream) chunks.push(chunk);
    return { chunks, text: await result.text, finishReason: await result.finishReason };
  },

  async tools() {
    const executed = [];
    const result = await generateText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { get_weather: { ...weather, execute: async (input) => (executed.push(input), weather.execute(input)) } },
      // Thinking is asked for, so the scripted thinking block is sent (mockgw leaves it out otherwise).
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } },
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    });
    return {
      text: result.text,
      executed,
      steps: result.steps.map((step) => ({
        finishReason: step.finishReason,
        toolCalls: step.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
        toolResults: step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
      })),
    };
  },

  async toolsStreamed() {
    const result = streamText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { get_weather: weather },
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    });
    const text = await result.text;
    const steps = await result.steps;
    return { text, steps: steps.length, toolCalls: steps.flatMap((s) => s.toolCalls.map((c) => c.toolName)) };
  },

  async reasoning() {
    const providerOptions = { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } };
    const generated = await generateText({ model, prompt: 'think first', providerOptions, maxRetries: 0 });
    const streamed = streamText({ model, prompt: 'think first', providerOptions, maxRetries: 0 });
    const parts = [];
    for await (const part of streamed.fullStream) if (part.type.startsWith('reasoning')) parts.push(part.type);
    const reasoning = (list) =>
      list.map((r) => ({ text: r.text, signature: r.providerMetadata?.anthropic?.signature ?? null }));
    return {
      generated: {
        text: generated.text,
        reasoningText: generated.reasoningText,
        reasoning: reasoning(generated.reasoning),
      },
      streamed: { text: await streamed.text, reasoningText: await streamed.reasoningText, parts },
    };
  },

  async error() {
    const out = {};
    for (const [name, run] of [
      ['generate', () => generateText({ model, prompt: 'hello', maxRetries: 0, headers: { 'x-test-error': '529' } })],
      ['auth', () => generateText({ model, prompt: 'hello', maxRetries: 0, headers: { 'x-test-error': '401' } })],
    ]) {
      try {
        await run();
        out[name] = { thrown: null };
      } catch (err) {
        out[name] = {
          thrown: err.constructor.name,
          isAPICallError: APICallError.isInstance(err),
          statusCode: err.statusCode ?? null,
          isRetryable: err.isRetryable ?? null,
          type: err.data?.error?.type ?? null,
          url: err.url ?? null,
        };
      }
    }
    // streamText does not throw: the error arrives as an `error` part of the stream.
    const streamed = streamText({
      model,
      prompt: 'hello',
      maxRetries: 0,
      headers: { 'x-test-error': '529' },
      onError: () => {},
    });
    for await (const part of streamed.fullStream) {
      if (part.type === 'error') {
        out.stream = { isAPICallError: APICallError.isInstance(part.error), statusCode: part.error.statusCode ?? null };
      }
    }
    return out;
  },
};

const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; one of: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
console.log(JSON.stringify(await cases[name]()));
