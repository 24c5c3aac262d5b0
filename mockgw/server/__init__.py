"""The aiohttp server: app factory, routes, auth, SSE writer."""

from mockgw.server.app import create_app, gateway_of
from mockgw.server.state import Gateway, GatewayConfig

__all__ = ["Gateway", "GatewayConfig", "create_app", "gateway_of"]
