"""Server-rendered web pages (Jinja2 + htmx); every page works without JavaScript."""
