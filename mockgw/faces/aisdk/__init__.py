"""The AI SDK's own gateway protocol, as ``@ai-sdk/gateway`` speaks it to ``https://ai-gateway.vercel.sh/v4/ai``."""
