// The official openai TypeScript SDK against mockgw's OpenAI-compatible faces: `node openai_sdk.mjs CASE`
// prints one JSON object, which tests/clients/test_openai_ts_sdk.py checks. The client is configured from the
// environment alone (OPENAI_BASE_URL, OPENAI_API_KEY, as MockGateway.env() sets them); retries are off so
// that each call is one request on the wire.
import OpenAI from 'openai';

const client = new OpenAI({ maxRetries: 0 });
const MODEL = 'openai/gpt-5';
const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const user = (content) => ({ role: 'user', content });
const choice = (completion) => ({
  id: completion.id,
  content: completion.choices[0].message.content,
  tool_calls: (completion.choices[0].message.tool_calls ?? []).map((c) => ({
    id: c.id,
    name: c.function.name,
    arguments: c.function.arguments,
  })),
  finish_reason: completion.choices[0].finish_reason,
  usage: completion.usage,
});
const items = (response) => ({
  id: response.id,
  status: response.status,
  text: response.output_text,
  types: response.output.map((i) => i.type),
  calls: response.output.filter((i) => i.type === 'function_call').map((i) => [i.name, i.arguments]),
});

const cases = {
  async chat() {
    const params = { model: MODEL, messages: [user('hello')], stream_options: { include_usage: true } };
    const created = await client.chat.completions.create({ model: MODEL, messages: [user('hello')] });
    const deltas = [];
    const stream = client.chat.completions.stream(params);
    stream.on('content', (delta) => deltas.push(delta));
    const streamed = await stream.finalChatCompletion();
    return { created: choice(created), streamed: choice(streamed), deltas };
  },
  async tools() {
    const messages = [user('weather in Paris?')];
    const first = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER] });
    const call = first.choices[0].message.tool_calls[0];
    messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
    const final = await client.chat.completions.create({ model: MODEL, messages, tools: [WEATHER] });
    return { first: choice(first), final: choice(final) };
  },
  async responses() {
    const params = { model: MODEL, input: 'weather in Paris?', tools: [{ type: 'function', ...WEATHER.function }] };
    const created = await client.responses.create(params);
    const stream = client.responses.stream(params);
    const events = [];
    stream.on('event', (event) => events.push(event.type));
    const streamed = await stream.finalResponse();
    return { created: items(created), streamed: items(streamed), events };
  },
  async embeddings() {
    const done = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['a b', 'a b'] });
    return { lengths: done.data.map((d) => d.embedding.length), same: done.data[0].embedding.join() === done.data[1].embedding.join() };
  },
  async error() {
    try {
      await client.chat.completions.create({ model: MODEL, messages: [user('rate limit me')] });
      return { raised: null };
    } catch (err) {
      return { raised: err.constructor.name, status: err.status, type: err.type, isRateLimit: err instanceof OpenAI.RateLimitError };
    }
  },
};

console.log(JSON.stringify(await cases[process.argv[2]]()));
