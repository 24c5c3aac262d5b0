// Message threads through the official TypeScript SDK (@anthropic-ai/sdk): `node ts_threads.mjs CASE` prints
// one JSON object, which tests/clients/test_ts_threads.py checks against the journal. The client is
// configured from the environment alone (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN); retries are off, so each
// call is one request on the wire.
import Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';

const client = new Anthropic({ maxRetries: 0 });
const MODEL = 'claude-sonnet-4-6';

const getWeather = betaTool({
  name: 'get_weather',
  description: 'The current weather in a city.',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  run: ({ city }) => `18°C and sunny in ${city}`,
});
const texts = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

async function toolRunner(stream) {
  const runner = client.beta.messages.toolRunner({
    model: MODEL,
    max_tokens: 256,
    tools: [getWeather],
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    stream,
    max_iterations: 5, // a runner sent round in circles stops, and the request count fails the test
  });
  const final = await runner.runUntilDone();
  return { text: texts(final), stop_reason: final.stop_reason };
}

const cases = {
  tool_runner: () => toolRunner(false),
  tool_runner_stream: () => toolRunner(true),

  async thread() {
    const thread = client.beta.messages.thread({ model: MODEL, max_tokens: 256, system: 'Be brief.' });
    const first = await thread.send({ role: 'user', content: 'hello' });
    const second = await thread.send({ role: 'user', content: 'goodbye' });
    return { first: texts(first), second: texts(second), history: thread.messages.length };
  },

  async unknown_thread() {
    try {
      await client.beta.messages.create({
        model: MODEL,
        max_tokens: 256,
        messages: [{ role: 'user', content: 'hi' }],
        thread: { type: 'continue', previous_message_id: 'msg_01nowhere' },
        betas: ['message-threads-2026-08-12'],
      });
      return { thrown: null };
    } catch (err) {
      return {
        thrown: err.constructor.name,
        not_found: err instanceof Anthropic.NotFoundError,
        status: err.status,
        error_code: err.errorCode ?? null,
      };
    }
  },
};

const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; one of: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
console.log(JSON.stringify(await cases[name]()));
