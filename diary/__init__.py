"""Block Diary: a phone diary after a lumbar sympathetic block, and the consultant's view of it.

A docstring only: importing `diary.clinical` must not load Flask. The layers, top down:
`diary.web` and `diary.cli` -> `diary.services` -> `diary.data` -> `diary.interchange` ->
`diary.clinical` (see docs/architecture.md).
"""
