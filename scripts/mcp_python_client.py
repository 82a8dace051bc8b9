#!/usr/bin/env python3
"""Drive the naftiko-rs MCP adapter with the official MCP Python SDK.

Connects over Streamable HTTP, lists the tools, calls `list-access-tokens` for one
organization, and lists resources and prompts when the server advertises them, reading
the first resource and getting the first prompt. Exits with status 1 when a step fails
or the tool call returns an error result.

    python3 -m venv /tmp/mcpvenv && /tmp/mcpvenv/bin/pip install mcp
    /tmp/mcpvenv/bin/python scripts/mcp_python_client.py [URL] [--org NAME]
"""

import argparse
import asyncio
import contextlib
import json
import sys

from mcp import ClientSession

# NOTE: run only against mcp 2.3.0. The 1.x fallbacks below follow the 1.x API by reading.
try:
    from mcp.client.streamable_http import streamable_http_client
except ImportError:
    # The 1.x name of the same transport.
    from mcp.client.streamable_http import streamablehttp_client as streamable_http_client

DEFAULT_URL = "http://127.0.0.1:9090/mcp"
TOOL_NAME = "list-access-tokens"
# Value given to every required prompt argument, because the script cannot know real ones.
PROMPT_ARGUMENT_VALUE = "example"


def to_wire(model):
    """Convert an SDK result to its JSON wire form (camelCase keys in every SDK version)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def print_json(title, value):
    print(f"== {title}")
    print(json.dumps(value, indent=2))


async def list_and_call_tools(session, org):
    tools = (await session.list_tools()).tools
    print_json("tools", [{"name": tool.name, "description": tool.description} for tool in tools])
    if TOOL_NAME not in {tool.name for tool in tools}:
        raise RuntimeError(f"the server has no tool named {TOOL_NAME!r}")

    result = to_wire(await session.call_tool(TOOL_NAME, {"name": org}))
    print_json(f"call {TOOL_NAME} name={org}", result)
    if result.get("isError"):
        raise RuntimeError(f"{TOOL_NAME} returned an error result (printed above)")


async def list_and_read_resources(session):
    resources = (await session.list_resources()).resources
    print_json("resources", [{"uri": str(resource.uri), "name": resource.name} for resource in resources])
    if resources:
        uri = str(resources[0].uri)
        print_json(f"read resource {uri}", to_wire(await session.read_resource(uri)))


async def list_and_get_prompts(session):
    prompts = (await session.list_prompts()).prompts
    print_json("prompts", [to_wire(prompt) for prompt in prompts])
    if prompts:
        prompt = prompts[0]
        arguments = {
            argument.name: PROMPT_ARGUMENT_VALUE
            for argument in prompt.arguments or []
            if argument.required
        }
        result = await session.get_prompt(prompt.name, arguments)
        print_json(f"get prompt {prompt.name} {arguments}", to_wire(result))


async def run(url, org):
    async with contextlib.AsyncExitStack() as stack:
        # mcp 2.x yields (read, write) and 1.x yields (read, write, get_session_id).
        streams = await stack.enter_async_context(streamable_http_client(url))
        session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
        initialized = await session.initialize()
        print_json("server", to_wire(initialized).get("serverInfo"))

        await list_and_call_tools(session, org)

        capabilities = initialized.capabilities
        if capabilities.resources is not None:
            await list_and_read_resources(session)
        else:
            print("== resources: not advertised by the server")
        if capabilities.prompts is not None:
            await list_and_get_prompts(session)
        else:
            print("== prompts: not advertised by the server")


def leaf_errors(error):
    """Flatten the exception groups that anyio task groups wrap around transport errors."""
    # BaseExceptionGroup is builtin only from Python 3.11, so match on its attribute.
    inner_errors = getattr(error, "exceptions", None)
    if isinstance(inner_errors, tuple):
        return [leaf for inner in inner_errors for leaf in leaf_errors(inner)]
    return [error]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"MCP endpoint (default {DEFAULT_URL})")
    parser.add_argument("--org", default="acme", help="organization name passed to list-access-tokens (default acme)")
    options = parser.parse_args()
    try:
        asyncio.run(run(options.url, options.org))
    except Exception as error:  # noqa: BLE001 - every failure becomes a message and status 1
        for leaf in leaf_errors(error):
            print(f"mcp_python_client: error: {options.url}: {leaf!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
