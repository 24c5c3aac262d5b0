"""The OpenAI-compatible faces: Chat Completions, Responses and Embeddings, as Vercel AI Gateway serves them."""
