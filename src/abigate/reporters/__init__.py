"""Renderers of ``abigate check`` reports: ``check_text`` for people, ``check_json`` for tools. Pure: they return
strings; the command decides where they go."""
