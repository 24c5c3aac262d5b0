-- wrk script for benchmark 1's AI SDK face: post.lua's conversation as @ai-sdk/gateway's non-streamed
-- doGenerate call (generateText with system, messages, maxOutputTokens and temperature), body and headers as
-- `ai` 7.0.173 with @ai-sdk/gateway 4.0.146 sent them to mockgw (read back from its journal).
wrk.method = "POST"
wrk.path = "/v4/ai/language-model"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "*/*"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.headers["ai-gateway-protocol-version"] = "0.0.1"
wrk.headers["ai-gateway-auth-method"] = "api-key"
wrk.headers["ai-language-model-specification-version"] = "4"
wrk.headers["ai-language-model-id"] = "anthropic/claude-sonnet-4.5"
wrk.headers["ai-language-model-streaming"] = "false"
wrk.headers["User-Agent"] = "ai/7.0.173 ai-sdk-provider-utils/5.0.81 node.js/v20.20.2"
wrk.body = [[{"maxOutputTokens":1024,"temperature":0.7,"toolChoice":{"type":"auto"},"prompt":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},{"role":"user","content":[{"type":"text","text":"What is the capital of France?"}]},{"role":"assistant","content":[{"type":"text","text":"The capital of France is Paris."}]},{"role":"user","content":[{"type":"text","text":"And how many people live there, roughly?"}]}],"headers":{"user-agent":"ai/7.0.173"}}]]
-- No response() callback (see post.lua); wrk prints "Non-2xx or 3xx responses: N", which run.py checks.
