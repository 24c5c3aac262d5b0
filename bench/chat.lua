-- wrk script for benchmark 1's OpenAI face: post.lua's conversation as a non-streamed /v1/chat/completions
-- request, with the headers the official OpenAI Python SDK sends (Bearer key, the x-stainless-* family).
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.headers["User-Agent"] = "OpenAI/Python 3.63.0"
wrk.headers["X-Stainless-Lang"] = "python"
wrk.headers["X-Stainless-Package-Version"] = "3.63.0"
wrk.headers["X-Stainless-Retry-Count"] = "0"
wrk.body = [[{"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"The capital of France is Paris."},{"role":"user","content":"And how many people live there, roughly?"}],"model":"anthropic/claude-sonnet-4.5","max_completion_tokens":1024,"temperature":0.7,"user":"bench-user"}]]
-- No response() callback (see post.lua); wrk prints "Non-2xx or 3xx responses: N", which run.py checks.
