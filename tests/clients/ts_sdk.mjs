// The official TypeScript SDK (@anthropic-ai/sdk) against mockgw: `node ts_sdk.mjs CASE` prints one JSON
// object, which tests/clients/test_ts_sdk.py checks. The client is configured from the environment alone
// (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN), as an application would be; retries are off so that each
// call is one request on the wire.
import Anthropic, * as sdk from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import * as z from 'zod';

const client = new Anthropic({ maxRetries: 0 });
const MODEL = 'claude-sonnet-4-6';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The current weather in a city.',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const WEATHER = z.object({ city: z.string(), temperature_c: z.number(), conditions: z.array(z.string()) });

const ORDER = z.object({
  id: z.string().uuid(),
  email: z.string().email(),
  status: z.enum(['new', 'paid', 'shipped']),
  // Bounds the SDK moves into the description ({"minimum": 1, ...}); zod checks them on the answer.
  lines: z
    .array(z.object({ sku: z.string(), quantity: z.number().int().min(1).max(9), shipped: z.string().datetime() }))
    .min(1)
    .max(3),
  note: z.string().nullable(),
});

const user = (content) => ({ role: 'user', content });
const texts = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
const summary = (message) => ({
  id: message.id,
  model: message.model,
  stop_reason: message.stop_reason,
  types: message.content.map((b) => b.type),
  text: texts(message),
  usage: message.usage,
});

async function thinkingWith(thinking) {
  const params = { model: MODEL, max_tokens: 2048, thinking, messages: [user('think first')] };
  const created = await client.messages.create(params);
  const thinkingDeltas = [];
  let signature = null;
  const stream = client.messages.stream(params);
  stream.on('thinking', (delta) => thinkingDeltas.push(delta));
  stream.on('signature', (s) => (signature = s));
  const streamed = await stream.finalMessage();
  const block = (m) => m.content.find((b) => b.type === 'thinking');
  return {
    created: { ...summary(created), thinking: block(created) },
    streamed: { ...summary(streamed), thinking: block(streamed) },
    thinking_deltas: thinkingDeltas.join(''),
    signature_event: signature,
  };
}

const cases = {
  async create() {
    const message = await client.messages.create({ model: MODEL, max_tokens: 256, messages: [user('hello')] });
    return summary(message);
  },

  async stream() {
    const deltas = [];
    const stream = client.messages.stream({ model: MODEL, max_tokens: 256, messages: [user('hello')] });
    stream.on('text', (text) => deltas.push(text));
    const message = await stream.finalMessage();
    return { ...summary(message), deltas };
  },

  async tools() {
    const params = { model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL] };
    const messages = [user('What is the weather in Paris?')];
    const first = await client.messages.create({ ...params, messages });
    const call = first.content.find((b) => b.type === 'tool_use');
    messages.push({ role: 'assistant', content: first.content });
    messages.push(user([{ type: 'tool_result', tool_use_id: call.id, content: '18°C and sunny' }]));
    // The second turn streams: the SDK must fold the same conversation either way.
    const final = await client.messages.stream({ ...params, messages }).finalMessage();
    return { first: summary(first), call: { id: call.id, name: call.name, input: call.input }, final: summary(final) };
  },

  thinking: () => thinkingWith({ type: 'enabled', budget_tokens: 1024 }),

  // Claude Code's setting: thinking blocks come without their text, with their signature.
  thinking_omitted: () => thinkingWith({ type: 'adaptive', display: 'omitted' }),

  async beta() {
    const message = await client.beta.messages.create({
      model: MODEL,
      max_tokens: 256,
      messages: [user('hello')],
      betas: ['interleaved-thinking-2025-05-14'],
    });
    return summary(message);
  },

  async parse() {
    // Structured outputs: zodOutputFormat's JSON Schema goes out as output_config.format, and the answer's
    // text comes back validated by zod as `parsed_output`, from messages.parse and from a stream alike.
    const params = (question) => ({
      model: MODEL,
      max_tokens: 256,
      messages: [user(question)],
      output_config: { format: zodOutputFormat(WEATHER) },
    });
    const parsed = await client.messages.parse(params('The weather in Paris as JSON'));
    const streamed = await client.messages.stream(params('The weather in Paris as JSON')).finalMessage();
    let failure = null;
    try {
      await client.messages.parse(params('The weather in Oslo as JSON'));
    } catch (err) {
      failure = { thrown: err.constructor.name, message: err.message };
    }
    return { parsed: parsed.parsed_output, streamed: streamed.parsed_output, text: texts(parsed), failure };
  },

  async citations() {
    // Citations of a document: created, and streamed (citations_delta folded by MessageStream, 'citation' events).
    const doc = { type: 'text', media_type: 'text/plain', data: 'The grass is green. The sky is blue.' };
    const params = {
      model: MODEL,
      max_tokens: 256,
      messages: [user([{ type: 'document', title: 'Facts', source: doc, citations: { enabled: true } }, { type: 'text', text: 'cite the facts' }])],
    };
    const created = await client.messages.create(params);
    const seen = [];
    const stream = client.messages.stream(params);
    stream.on('citation', (citation) => seen.push(citation.type));
    const streamed = await stream.finalMessage();
    return { created: created.content, streamed: streamed.content, seen };
  },

  async parseAuto() {
    // json: auto: mockgw generates the object from the zod schema's JSON Schema; zod accepts it, parsed or streamed.
    const params = {
      model: MODEL,
      max_tokens: 1024,
      messages: [user('An order as JSON')],
      output_config: { format: zodOutputFormat(ORDER) },
    };
    const parsed = await client.messages.parse(params);
    const streamed = await client.messages.stream(params).finalMessage();
    return { parsed: parsed.parsed_output, streamed: streamed.parsed_output };
  },

  async errors() {
    // One call per status of the bundled `errors` scenario (chosen by the x-test-error header).
    // Every error class the SDK exports, to report each one the thrown error is an instance of.
    const classes = Object.entries(sdk).filter(([name, cls]) => typeof cls === 'function' && name.endsWith('Error'));
    const out = {};
    for (const status of process.argv.slice(3)) {
      try {
        await client.messages.create(
          { model: MODEL, max_tokens: 64, messages: [user('hello')] },
          { headers: { 'x-test-error': status } },
        );
        out[status] = { thrown: null };
      } catch (err) {
        out[status] = {
          thrown: err.constructor.name,
          is: classes.filter(([, cls]) => err instanceof cls).map(([name]) => name).sort(),
          status: err.status,
          type: err.type ?? err.error?.error?.type ?? null,
          message: err.error?.error?.message ?? null,
          request_id: err.requestID ?? null,
        };
      }
    }
    return out;
  },
};

// Message Batches (create, retrieve, results, list, cancel, delete) and Files (upload, list, metadata, a
// file_id in a message, delete), for tests/clients/test_ts_sdk.py's batch and file checks.
const batchCases = {
  async batches() {
    const params = (text) => ({ model: MODEL, max_tokens: 64, messages: [user(text)] });
    const created = await client.messages.batches.create({
      requests: [
        { custom_id: 'ok-1', params: params('first') },
        { custom_id: 'fail-1', params: params('second') },
      ],
    });
    const retrieved = await client.messages.batches.retrieve(created.id);
    const results = [];
    for await (const line of await client.messages.batches.results(created.id)) results.push(line);
    const listed = [];
    for await (const batch of client.messages.batches.list({ limit: 1 })) listed.push(batch.id);
    const canceled = await client.messages.batches.cancel(created.id);
    const deleted = await client.messages.batches.delete(created.id);
    return { created, retrieved, results, listed, canceled, deleted };
  },

  async files() {
    const file = await sdk.toFile(Buffer.from('the deadline is Friday'), 'notes.txt', { type: 'text/plain' });
    const uploaded = await client.beta.files.upload({ file });
    const listed = [];
    for await (const meta of client.beta.files.list()) listed.push(meta.id);
    const metadata = await client.beta.files.retrieveMetadata(uploaded.id);
    const document = { type: 'document', source: { type: 'file', file_id: uploaded.id } };
    const message = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [user([document])] });
    const deleted = await client.beta.files.delete(uploaded.id);
    let missing = null;
    try {
      await client.beta.files.retrieveMetadata(uploaded.id);
    } catch (err) {
      missing = { thrown: err.constructor.name, status: err.status };
    }
    return { uploaded, listed, metadata, text: texts(message), deleted, missing };
  },
};
Object.assign(cases, batchCases);

const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; one of: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
console.log(JSON.stringify(await cases[name]()));
