"""The browser UI: `session` (the Gradio-free actions tests call), `render` (HTML through Jinja2, escaped by
default), `markdown` (exports), `timeline` (dates into bars) and `blocks` (the Gradio layout and wiring)."""
