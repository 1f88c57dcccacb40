"""`seslog serve`: the answers of the command line on a local, read-only web page.

Built on Starlette (a small, well-kept ASGI toolkit: routing, static files, a test client) with
Jinja2 templates, which escape every value by default, served by uvicorn. Every page is a thin
layer over ``seslog.answers``, so the page, the command line and the MCP server say the same.
"""
