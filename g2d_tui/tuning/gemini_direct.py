"""The gemini-direct piece: a chat request whose cost does not grow with the history.

For every request the SDK validates and converts the whole conversation again
(``_GenerateContentParameters`` checks each ``Content`` against a wide union type, then
each is turned into its wire form): at 200 turns ~0.3 s of the event loop per message, on
the way to the first word of the reply. The wire form of a text turn is plain
(``{"role": ..., "parts": [{"text": ...}]}``), so the history keeps it, built once per
turn; this piece lets the SDK build the request for the new message alone, puts the kept
history in front of it, and sends it through the SDK's own HTTP client (same options,
same errors, same response objects). It reaches into the SDK's request layer
(``_api_client.async_request_streamed`` and the ``_..._to_mldev`` converters): ``install``
checks they are there, and without it the chat uses ``generate_content_stream``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any


def install():
    from g2d_tui import hooks

    hooks.fill("gemini_stream", open_stream)
    return lambda: None


def usable(client: Any) -> bool:
    """Whether the SDK still has the request layer this piece uses."""
    from google.genai import models, types

    api = getattr(getattr(client, "aio", None), "_api_client", None)
    return (
        api is not None
        and not getattr(api, "vertexai", False)
        and hasattr(api, "async_request_streamed")
        and hasattr(models, "_GenerateContentParameters_to_mldev")
        and hasattr(models, "_GenerateContentResponse_from_mldev")
        and hasattr(types.GenerateContentResponse, "_from_response")
    )


async def open_stream(client: Any, *, model: str, history: list[dict[str, Any]], new: Any, config: Any) -> AsyncIterator[Any] | None:
    """The SDK's response stream for ``history`` (wire dicts) plus ``new`` (a ``types.Content``),
    or None when the SDK's request layer is not the one this piece knows."""
    if not usable(client):
        return None
    from google.genai import _common, models, types

    api = client.aio._api_client
    parameters = types._GenerateContentParameters(model=model, contents=[new], config=config)
    request = models._GenerateContentParameters_to_mldev(api, parameters, None, parameters)
    url = request.get("_url") or {}
    path = "{model}:streamGenerateContent?alt=sse".format_map(url) if url else f"{model}:streamGenerateContent?alt=sse"
    request.pop("config", None)
    request = _common.encode_unserializable_types(_common.convert_to_dict(request))
    request["contents"] = [*history, *request["contents"]]  # plain dicts: nothing to convert
    response_stream = await api.async_request_streamed("post", path, request, None)
    return _responses(api, response_stream, parameters)


async def _responses(api: Any, response_stream: Any, parameters: Any) -> AsyncIterator[Any]:
    """What ``AsyncModels._generate_content_stream`` makes of each streamed chunk."""
    from google.genai import models, types

    async for response in response_stream:
        response_dict = {} if not response.body else json.loads(response.body)
        response_dict = models._GenerateContentResponse_from_mldev(response_dict, None, parameters)
        value = types.GenerateContentResponse._from_response(response=response_dict, kwargs={})
        value.sdk_http_response = types.HttpResponse(headers=response.headers)
        api._verify_response(value)
        yield value
