-- wrk script for benchmark 1: a realistic small non-streamed /v1/messages request, with the headers the
-- official Python SDK sends (x-api-key, anthropic-version, the x-stainless-* family).
wrk.method = "POST"
wrk.path = "/v1/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-Api-Key"] = "sk-bench"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["User-Agent"] = "Anthropic/Python 2.14.0"
wrk.headers["X-Stainless-Lang"] = "python"
wrk.headers["X-Stainless-Package-Version"] = "2.14.0"
wrk.headers["X-Stainless-Retry-Count"] = "0"
wrk.body = [[{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are a helpful assistant. Answer briefly.","temperature":0.7,"metadata":{"user_id":"bench-user"},"messages":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":[{"type":"text","text":"The capital of France is Paris."}]},{"role":"user","content":[{"type":"text","text":"And how many people live there, roughly?"}]}]}]]
-- No response() callback: it would make wrk parse every answer in Lua and slow the generator down;
-- wrk itself prints "Non-2xx or 3xx responses: N", which run.py checks.
