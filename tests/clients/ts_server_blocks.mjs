// The server tool blocks through the official TypeScript SDK: `node ts_server_blocks.mjs CASE...` creates each
// case of tests/fixtures/server-blocks.yaml, resets mockgw (so the seeded ids repeat), streams it and folds the
// stream with MessageStream.finalMessage(); prints {CASE: {created, streamed}} for test_ts_server_blocks.py.
// Cases named beta:CASE go through client.beta.messages (the MCP and compaction blocks are beta-only).
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({ maxRetries: 0 });
const base = process.env.ANTHROPIC_BASE_URL;

async function reset() {
  // A JSON body: the admin API refuses a POST a web page could send cross-site.
  const response = await fetch(`${base}/_mockgw/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!response.ok) throw new Error(`reset: ${response.status}`);
}

const out = {};
for (const arg of process.argv.slice(2)) {
  const [surface, name] = arg.startsWith('beta:') ? ['beta', arg.slice(5)] : ['messages', arg];
  const api = surface === 'beta' ? client.beta.messages : client.messages;
  const params = { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: name }] };
  await reset();
  const created = await api.create(params);
  await reset();
  const streamed = await api.stream(params).finalMessage();
  out[arg] = { created, streamed };
}
console.log(JSON.stringify(out));
