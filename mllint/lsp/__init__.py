"""`mllint lsp`: findings, fixes and the ML stack in the editor (Language Server Protocol over stdio).

``buffers`` is the file reader that serves the editor's unsaved text to the model (DESIGN.md: one reader
passed in); ``linting`` lints a Dockerfile as the CLI would (its configuration, its build context) and
remembers which dependency files each Dockerfile reads; ``features`` turns findings into diagnostics,
code actions and hovers; ``server`` wires them to pygls. Needs the ``lsp`` extra (pygls, lsprotocol),
and nothing here is imported by a lint run.
"""
