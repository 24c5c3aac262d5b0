// The AI SDK's gateway provider (@ai-sdk/gateway, the default provider of `ai`) against mockgw: `node
// ai_gateway.mjs CASE` prints one JSON object, which tests/clients/test_ai_gateway.py checks. The provider
// speaks its own protocol at baseURL (default https://ai-gateway.vercel.sh/v4/ai): /language-model,
// /embedding-model, /config, and /v1/credits, /v1/generation at the origin. It reads AI_GATEWAY_API_KEY.
import { createGateway, GatewayError } from '@ai-sdk/gateway';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { cosineSimilarity, embed, embedMany, generateText, Output, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';

const gateway = createGateway({ baseURL: process.env.AI_GATEWAY_BASE_URL });
const model = gateway('anthropic/claude-sonnet-4.5');

const weather = tool({
  description: 'The current weather in a city.',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `18°C and sunny in ${city}`,
});

const WEATHER = z.object({ city: z.string(), temperature_c: z.number(), conditions: z.array(z.string()) });

function failure(error) {
  return {
    name: error?.name,
    gatewayError: GatewayError.isInstance(error),
    statusCode: error?.statusCode,
    isRetryable: error?.isRetryable,
    type: error?.type,
    modelId: error?.modelId,
    message: String(error?.message ?? error).split('\n')[0],
  };
}

const cases = {
  async generate() {
    const result = await generateText({ model, prompt: 'hello', maxRetries: 0 });
    return {
      text: result.text,
      finishReason: result.finishReason,
      usage: result.usage,
      providerMetadata: result.providerMetadata,
    };
  },

  async stream() {
    const result = streamText({ model, prompt: 'hello', maxRetries: 0 });
    const chunks = [];
    for await (const chunk of result.textStream) chunks.push(chunk);
    return {
      chunks,
      text: await result.text,
      finishReason: await result.finishReason,
      usage: await result.usage,
      providerMetadata: await result.providerMetadata,
    };
  },

  async tools() {
    const executed = [];
    const options = {
      model,
      prompt: 'What is the weather in Paris?',
      tools: { get_weather: { ...weather, execute: async (input) => (executed.push(input), weather.execute(input)) } },
      // Reasoning is asked for, so the scripted thinking is sent (mockgw leaves it out otherwise).
      reasoning: 'medium',
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    };
    const generated = await generateText(options);
    const streamed = streamText(options);
    const steps = (list) =>
      list.map((step) => ({
        finishReason: step.finishReason,
        reasoningText: step.reasoningText ?? null,
        toolCalls: step.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
        toolResults: step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
      }));
    return {
      executed,
      generated: { text: generated.text, steps: steps(generated.steps) },
      streamed: { text: await streamed.text, steps: steps(await streamed.steps) },
    };
  },

  async object() {
    const generated = await generateText({
      model,
      output: Output.object({ schema: WEATHER }),
      prompt: 'The weather in Paris as JSON',
      maxRetries: 0,
    });
    const streamed = streamText({
      model,
      output: Output.object({ schema: WEATHER }),
      prompt: 'The weather in Paris as JSON',
      maxRetries: 0,
    });
    return { generated: generated.output, streamed: await streamed.output };
  },

  async embed() {
    const embeddingModel = gateway.embeddingModel('openai/text-embedding-3-small');
    const one = await embed({ model: embeddingModel, value: 'sunny weather in Paris', maxRetries: 0 });
    const again = await embed({ model: embeddingModel, value: 'sunny weather in Paris', maxRetries: 0 });
    const many = await embedMany({
      model: embeddingModel,
      values: ['sunny weather in Paris', 'rainy weather in Paris', 'a recipe for bread'],
      maxRetries: 0,
    });
    const [paris, rainy, bread] = many.embeddings;
    return {
      dimensions: one.embedding.length,
      tokens: one.usage.tokens,
      same: JSON.stringify(one.embedding) === JSON.stringify(again.embedding),
      closer: cosineSimilarity(paris, rainy) > cosineSimilarity(paris, bread),
    };
  },

  async errors() {
    const out = {};
    for (const [label, prompt] of [['rateLimited', 'rate limit me'], ['broken', 'break please']]) {
      try {
        await generateText({ model, prompt, maxRetries: 0 });
        out[label] = { name: 'no error' };
      } catch (error) {
        out[label] = failure(error);
      }
    }
    try {
      await generateText({ model: gateway('anthropic/claude-nonexistent-1'), prompt: 'hello', maxRetries: 0 });
      out.unknownModel = { name: 'no error' };
    } catch (error) {
      out.unknownModel = failure(error);
    }
    const streamed = streamText({ model, prompt: 'cut the stream', maxRetries: 0, onError: () => {} });
    const parts = [];
    for await (const part of streamed.fullStream) {
      parts.push(part.type === 'error' ? { type: 'error', error: failure(part.error) } : { type: part.type });
    }
    out.midStream = parts.filter((p) => p.type === 'error' || p.type === 'text-delta' || p.type === 'finish');
    return out;
  },

  async badKey() {
    // generateText rewraps the provider's GatewayAuthenticationError as a plain Error of that name with
    // its own advice (ai: wrap-gateway-error.ts); the model's own doGenerate shows the gateway's class.
    const wrong = createGateway({ baseURL: process.env.AI_GATEWAY_BASE_URL, apiKey: 'not-a-key' });
    const out = {};
    try {
      await generateText({ model: wrong('anthropic/claude-sonnet-4.5'), prompt: 'hello', maxRetries: 0 });
      out.generate = { name: 'no error' };
    } catch (error) {
      out.generate = failure(error);
    }
    try {
      const prompt = [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }];
      await wrong('anthropic/claude-sonnet-4.5').doGenerate({ prompt });
      out.provider = { name: 'no error' };
    } catch (error) {
      out.provider = failure(error);
    }
    return out;
  },

  async fallback() {
    const result = await generateText({
      model: gateway('anthropic/claude-opus-4.5'),
      prompt: 'hello',
      providerOptions: { gateway: { models: ['anthropic/claude-sonnet-4.5'], order: ['bedrock', 'anthropic'] } },
      maxRetries: 0,
    });
    return { text: result.text, routing: result.providerMetadata?.gateway?.routing };
  },

  async openaiCompatible() {
    // @ai-sdk/openai-compatible against the OpenAI-compatible face: /v1/chat/completions, Bearer key.
    const provider = createOpenAICompatible({
      name: 'mockgw',
      baseURL: process.env.OPENAI_BASE_URL,
      apiKey: process.env.OPENAI_API_KEY,
      includeUsage: true,
    });
    const chat = provider('anthropic/claude-sonnet-4.5');
    const generated = await generateText({ model: chat, prompt: 'hello', maxRetries: 0 });
    const streamed = streamText({ model: chat, prompt: 'hello', maxRetries: 0 });
    const fold = async (r) => ({ text: await r.text, finishReason: await r.finishReason, usage: await r.usage });
    return { generated: await fold(generated), streamed: await fold(streamed) };
  },

  async everyFace() {
    // tests/fixtures/every-face.yaml: the tool call, then the answer to its result, from the same rules the
    // Anthropic and OpenAI SDKs get.
    const result = await generateText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { get_weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async () => 'sunny' }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    return { text: result.text, toolCalls: result.steps.flatMap((s) => s.toolCalls.map((c) => c.input)) };
  },

  async account() {
    const generated = await generateText({ model, prompt: 'hello', maxRetries: 0 });
    const generationId = generated.providerMetadata.gateway.generationId;
    const { models } = await gateway.getAvailableModels();
    const credits = await gateway.getCredits();
    const info = await gateway.getGenerationInfo({ id: generationId });
    let missing;
    try {
      await gateway.getGenerationInfo({ id: 'gen_unknown' });
    } catch (error) {
      missing = failure(error);
    }
    const sonnet = models.find((m) => m.id === 'anthropic/claude-sonnet-4.5');
    return {
      cost: generated.providerMetadata.gateway.cost,
      sonnet,
      types: [...new Set(models.map((m) => m.modelType))].sort(),
      credits,
      info,
      missing,
    };
  },
};

const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; cases: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
console.log(JSON.stringify(await cases[name]()));
